#include "trainer/run_config.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/device_name.h"
#include "common/file_io.h"

namespace mixlaw {

int64_t TrainingConfig::total_steps() const {
  int64_t per_step = tokens_per_step();
  if (per_step <= 0) return 1;
  return std::max<int64_t>(1, tokens / per_step);
}

nlohmann::json TrainingConfig::ToJson() const {
  return {{"tokens", tokens},
          {"batch_size", batch_size},
          {"seq_len", seq_len},
          {"grad_accum", grad_accum},
          {"schedule", schedule.ToJson()},
          {"eval_every", eval_every},
          {"eval_at_start", eval_at_start},
          {"checkpoint_every", checkpoint_every},
          {"weight_decay", weight_decay},
          {"grad_clip", grad_clip},
          {"beta1", beta1},
          {"beta2", beta2},
          {"adam_eps", adam_eps},
          {"spike_factor", spike_factor},
          {"precision", precision}};
}

TrainingConfig ParseTrainingConfig(const nlohmann::json& value, const std::string& path,
                                   FieldReader& reader) {
  TrainingConfig t;
  if (!reader.CheckObject(
          value, path,
          {"tokens", "batch_size", "seq_len", "grad_accum", "schedule", "eval_every",
           "eval_at_start", "checkpoint_every", "weight_decay", "grad_clip", "beta1", "beta2",
           "adam_eps", "spike_factor", "precision"})) {
    return t;
  }
  t.tokens = reader.Integer(value, path, "tokens", true, Bounds::AtLeast(1)).value_or(0);
  t.batch_size =
      reader.Integer(value, path, "batch_size", false, Bounds::AtLeast(1)).value_or(t.batch_size);
  t.seq_len = reader.Integer(value, path, "seq_len", false, Bounds::AtLeast(2)).value_or(t.seq_len);
  t.grad_accum =
      reader.Integer(value, path, "grad_accum", false, Bounds::AtLeast(1)).value_or(t.grad_accum);
  if (value.contains("schedule")) {
    t.schedule = ParseSchedule(value["schedule"], JoinPath(path, "schedule"), reader);
  }
  t.eval_every = reader.Integer(value, path, "eval_every", false, Bounds::NonNegative())
                     .value_or(t.eval_every);
  t.eval_at_start = reader.Bool(value, path, "eval_at_start", false).value_or(t.eval_at_start);
  t.checkpoint_every = reader.Integer(value, path, "checkpoint_every", false, Bounds::NonNegative())
                           .value_or(t.checkpoint_every);
  t.weight_decay = reader.Number(value, path, "weight_decay", false, Bounds::NonNegative())
                       .value_or(t.weight_decay);
  t.grad_clip =
      reader.Number(value, path, "grad_clip", false, Bounds::NonNegative()).value_or(t.grad_clip);
  t.beta1 = reader.Number(value, path, "beta1", false, {0.0, 1.0, false, true}).value_or(t.beta1);
  t.beta2 = reader.Number(value, path, "beta2", false, {0.0, 1.0, false, true}).value_or(t.beta2);
  t.adam_eps =
      reader.Number(value, path, "adam_eps", false, Bounds::Positive()).value_or(t.adam_eps);
  t.spike_factor = reader.Number(value, path, "spike_factor", false, {1.0, std::nullopt, true})
                       .value_or(t.spike_factor);
  t.precision = reader.String(value, path, "precision", false).value_or(t.precision);
  if (t.precision != "auto" && t.precision != "bf16" && t.precision != "fp32") {
    reader.Problem(JoinPath(path, "precision"),
                   "'" + t.precision + "' is not a precision (expected auto, bf16 or fp32)");
  }
  if (t.tokens > 0 && t.tokens < t.tokens_per_step()) {
    reader.Problem(JoinPath(path, "tokens"),
                   absl::StrCat(t.tokens, " is less than one step (batch_size x seq_len x ",
                                "grad_accum = ", t.tokens_per_step(), ")"));
  }
  return t;
}

nlohmann::json RunConfig::ToJson() const {
  nlohmann::json j = {{"protocol", protocol},
                      {"run_id", run_id},
                      {"run_name", run_name},
                      {"sweep", sweep},
                      {"stage", stage},
                      {"almr", almr},
                      {"peak_lr", peak_lr},
                      {"seed", seed},
                      {"model", model.ToJson()},
                      {"data", {{"base", data_base}, {"additional", data_additional}}},
                      {"training", training.ToJson()},
                      {"output_dir", output_dir},
                      {"init_checkpoint", init_checkpoint},
                      {"resume_checkpoint", resume_checkpoint},
                      {"device", device}};
  if (!synthetic.is_null()) j["synthetic"] = synthetic;
  return j;
}

absl::StatusOr<RunConfig> ParseRunConfig(const std::string& text, const std::string& source) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return absl::InvalidArgumentError(source + ": not valid JSON");
  FieldReader reader(source);
  RunConfig c;
  if (!reader.CheckObject(j, "",
                          {"protocol", "run_id", "run_name", "sweep", "stage", "almr", "peak_lr",
                           "seed", "model", "data", "training", "output_dir", "init_checkpoint",
                           "resume_checkpoint", "device", "synthetic"})) {
    return reader.ToStatus();
  }
  c.protocol =
      static_cast<int>(reader.Integer(j, "", "protocol", true, Bounds::AtLeast(1)).value_or(0));
  if (c.protocol > kTrainerProtocolVersion) {
    reader.Problem("protocol", absl::StrCat(c.protocol, " is newer than this trainer's ",
                                            kTrainerProtocolVersion));
  }
  c.run_id = reader.Integer(j, "", "run_id", false, Bounds::NonNegative()).value_or(0);
  c.run_name = reader.String(j, "", "run_name", false).value_or("");
  c.sweep = reader.String(j, "", "sweep", false).value_or("");
  c.stage = reader.String(j, "", "stage", false).value_or("cpt");
  if (c.stage != "cpt" && c.stage != "pretrain") {
    reader.Problem("stage", "'" + c.stage + "' is not a stage (expected pretrain or cpt)");
  }
  c.almr = reader.Number(j, "", "almr", true, Bounds::Closed(0.0, 1.0)).value_or(0.0);
  c.peak_lr = reader.Number(j, "", "peak_lr", true, Bounds::Positive()).value_or(0.0);
  c.seed = reader.Integer(j, "", "seed", false, Bounds::NonNegative()).value_or(0);
  if (j.contains("model")) {
    c.model = ParseModelConfig(j["model"], "model", reader);
  } else {
    reader.Problem("model", "is required");
  }
  if (j.contains("data") && reader.CheckObject(j["data"], "data", {"base", "additional"})) {
    c.data_base = reader.String(j["data"], "data", "base", false).value_or("");
    c.data_additional = reader.String(j["data"], "data", "additional", false).value_or("");
  }
  if (j.contains("training")) {
    c.training = ParseTrainingConfig(j["training"], "training", reader);
  } else {
    reader.Problem("training", "is required");
  }
  c.output_dir = reader.String(j, "", "output_dir", true).value_or("");
  c.init_checkpoint = reader.String(j, "", "init_checkpoint", false).value_or("");
  c.resume_checkpoint = reader.String(j, "", "resume_checkpoint", false).value_or("");
  c.device = reader.String(j, "", "device", false).value_or("cpu");
  if (absl::StatusOr<DeviceName> device = ParseDeviceName(c.device); !device.ok()) {
    reader.Problem("device", std::string(device.status().message()));
  }
  if (j.contains("synthetic")) c.synthetic = j["synthetic"];
  if (!reader.ok()) return reader.ToStatus();
  return c;
}

absl::StatusOr<RunConfig> LoadRunConfig(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFileToString(path);
  if (!text.ok()) return text.status();
  return ParseRunConfig(*text, path);
}

}  // namespace mixlaw
