#include "trainer/llama/llama_trainer.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>

#include "absl/strings/str_cat.h"
#include "common/file_io.h"
#include "common/json_fields.h"
#include "trainer/llama/checkpoint.h"
#include "trainer/llama/model.h"
#include "trainer/llama/optimizer.h"
#include "trainer/mixing_loader.h"
#include "trainer/protocol.h"

namespace mixlaw {

namespace {

// Mean loss over every counted token of a validation split, in a fixed order.
double Evaluate(LlamaModel& model, const std::vector<uint32_t>& tokens) {
  EvalBatches batches(&tokens, model.B(), model.T());
  std::vector<int32_t> inputs(static_cast<size_t>(model.B()) * model.T());
  std::vector<int32_t> targets(inputs.size());
  double sum = 0.0;
  int64_t count = 0;
  for (int64_t i = 0; i < batches.batches(); ++i) {
    batches.Batch(i, inputs.data(), targets.data());
    double mean = model.Forward(inputs.data(), targets.data());
    int64_t counted =
        std::count_if(targets.begin(), targets.end(), [](int32_t t) { return t >= 0; });
    sum += mean * static_cast<double>(counted);
    count += counted;
  }
  return count > 0 ? sum / static_cast<double>(count) : std::nan("");
}

class Run {
 public:
  Run(const RunConfig& config, const TrainingData& data, const KernelTable& kernels,
      std::ostream& out, std::ostream& err)
      : c_(config),
        t_(config.training),
        data_(data),
        out_(out),
        err_(err),
        model_(config.model, kernels, static_cast<int>(t_.batch_size),
               static_cast<int>(t_.seq_len)),
        loader_(&data.base_train, &data.additional_train,
                config.stage == "pretrain" ? 0.0 : config.almr, static_cast<int>(t_.batch_size),
                static_cast<int>(t_.seq_len), static_cast<uint64_t>(config.seed)),
        optimizer_(model_),
        total_steps_(t_.total_steps()) {}

  int Execute() {
    if (int code = Start(); code != kTrainerExitSuccess) return code;
    out_ << FormatTotalStepsLine(total_steps_) << std::endl;
    // Where the run starts from (for CPT: the base model), measured like every later point.
    if (step_ == 0 && t_.eval_at_start) Eval(0, t_.schedule.LrAt(0, total_steps_, c_.peak_lr));
    const int64_t warmup = static_cast<int64_t>(
        std::floor(t_.schedule.warmup_frac * static_cast<double>(total_steps_)));
    std::vector<int32_t> inputs(static_cast<size_t>(model_.B()) * model_.T()),
        targets(inputs.size());
    for (; step_ < total_steps_; ++step_) {
      model_.ZeroGrads();
      double loss = 0.0;
      const float scale =
          1.0f / static_cast<float>(inputs.size() * static_cast<size_t>(t_.grad_accum));
      for (int64_t micro = 0; micro < t_.grad_accum; ++micro) {
        loader_.NextBatch(inputs.data(), targets.data());
        loss += model_.Forward(inputs.data(), targets.data()) / static_cast<double>(t_.grad_accum);
        model_.Backward(scale);
      }
      double norm = AdamW::GradientNorm(model_);
      double lr = t_.schedule.LrAt(step_, total_steps_, c_.peak_lr);
      int64_t tokens = (step_ + 1) * t_.tokens_per_step();
      out_ << FormatMetricLine({"train", step_ + 1, loss, tokens, lr}) << "\n";
      if (!std::isfinite(loss) || !std::isfinite(norm)) {
        return Diverged(
            absl::StrCat("step ", step_ + 1, ": loss ", loss, ", gradient norm ", norm));
      }
      if (step_ >= warmup && loss > t_.spike_factor * best_loss_) {
        return Diverged(absl::StrCat("step ", step_ + 1, ": loss ", loss, " spiked past ",
                                     t_.spike_factor, " x its minimum ", best_loss_));
      }
      best_loss_ = std::min(best_loss_, loss);
      AdamW::Clip(model_, norm, t_.grad_clip);
      optimizer_.Step(model_, lr, step_ + 1, {t_.beta1, t_.beta2, t_.adam_eps, t_.weight_decay});
      bool last = step_ + 1 == total_steps_;
      if (last || (t_.eval_every > 0 && (step_ + 1) % t_.eval_every == 0)) Eval(tokens, lr);
      out_.flush();
      if (!last && t_.checkpoint_every > 0 && (step_ + 1) % t_.checkpoint_every == 0) {
        if (!Checkpoint(step_ + 1)) return kTrainerExitFailure;
      }
    }
    return Checkpoint(total_steps_) ? kTrainerExitSuccess : kTrainerExitFailure;
  }

 private:
  int Start() {
    {
      // Initialised on the host, then copied to the backend (device memory on a GPU).
      std::vector<float> host(static_cast<size_t>(model_.layout().total()));
      model_.layout().Initialise(host.data(), static_cast<uint64_t>(c_.seed));
      model_.kernels().from_host(model_.params(), host.data(), host.size());
    }
    if (!c_.resume_checkpoint.empty()) {
      std::vector<float> m(static_cast<size_t>(model_.layout().total())), v(m.size());
      absl::StatusOr<nlohmann::json> state =
          LoadCheckpoint(c_.resume_checkpoint, model_, m.data(), v.data());
      if (!state.ok()) {
        err_ << "resume_checkpoint: " << state.status().message() << "\n";
        return kTrainerExitFailure;
      }
      optimizer_.FromHost(m, v);
      // The state file is outside input: each field is checked, and a bad one named.
      FieldReader reader(
          (std::filesystem::path(c_.resume_checkpoint) / "trainer_state.json").string());
      step_ = reader.Integer(*state, "", "step", true, Bounds::Closed(0, total_steps_)).value_or(0);
      best_loss_ = reader.Number(*state, "", "best_train_loss", false)
                       .value_or(std::numeric_limits<double>::infinity());
      if (!state->contains("loader")) {
        reader.Problem("loader", "is required");
      } else {
        loader_.Restore((*state)["loader"], "loader", reader);
      }
      if (!reader.ok()) {
        err_ << "resume_checkpoint: " << reader.ToStatus().message() << "\n";
        return kTrainerExitFailure;
      }
      return kTrainerExitSuccess;
    }
    if (!c_.init_checkpoint.empty()) {
      absl::Status s = LoadWeights(c_.init_checkpoint, model_);
      if (!s.ok()) {
        err_ << "init_checkpoint: " << s.message() << "\n";
        return kTrainerExitFailure;
      }
    }
    return kTrainerExitSuccess;
  }

  // Evaluates both languages after `tokens` training tokens (the step is tokens' step).
  void Eval(int64_t tokens, double lr) {
    int64_t step = tokens / t_.tokens_per_step();
    double base = Evaluate(model_, data_.base_val);
    double additional = Evaluate(model_, data_.additional_val);
    out_ << FormatMetricLine({"eval/base", step, base, tokens, lr}) << "\n";
    out_ << FormatMetricLine({"eval/additional", step, additional, tokens, lr}) << "\n";
  }

  bool Checkpoint(int64_t step) {
    std::string dir = (std::filesystem::path(c_.output_dir) /
                       (step == total_steps_ ? std::string("final") : absl::StrCat("step-", step)))
                          .string();
    nlohmann::json state = {
        {"step", step},
        {"best_train_loss", best_loss_},
        {"loader", loader_.State()},
        {"run_name", c_.run_name},
        {"tokenizer", {{"kind", data_.tokenizer_kind}, {"vocab_size", data_.vocab_size}}},
        {"protocol", kTrainerProtocolVersion}};
    std::vector<float> m, v;
    optimizer_.ToHost(&m, &v);
    absl::Status s = SaveCheckpoint(dir, model_, m.data(), v.data(), state);
    if (!s.ok()) {
      err_ << "checkpoint: " << s.message() << "\n";
      return false;
    }
    // The tokenizer travels with the weights, as Hugging Face checkpoints carry theirs.
    if (!data_.tokenizer_model.empty()) {
      absl::StatusOr<std::string> model = ReadFileToString(data_.tokenizer_model);
      absl::Status copied =
          model.ok() ? WriteFileAtomically(dir + "/tokenizer.model", *model) : model.status();
      if (!copied.ok()) {
        err_ << "checkpoint: copying the tokenizer: " << copied.message() << "\n";
        return false;
      }
    }
    out_ << FormatArtifactLine("checkpoint", dir) << std::endl;
    if (!last_checkpoint_.empty() && last_checkpoint_ != dir) {
      std::error_code ec;
      std::filesystem::remove_all(last_checkpoint_, ec);  // keep only the newest
    }
    last_checkpoint_ = dir;
    return true;
  }

  int Diverged(const std::string& why) {
    out_.flush();
    err_ << "diverged: " << why << "\n";
    return kTrainerExitDiverged;
  }

  const RunConfig& c_;
  const TrainingConfig& t_;
  const TrainingData& data_;
  std::ostream& out_;
  std::ostream& err_;
  LlamaModel model_;
  MixingLoader loader_;
  AdamW optimizer_;
  int64_t total_steps_;
  int64_t step_ = 0;
  double best_loss_ = std::numeric_limits<double>::infinity();
  std::string last_checkpoint_;
};

}  // namespace

int RunLlamaTrainer(const RunConfig& config, const TrainingData& data, const KernelTable& kernels,
                    std::ostream& out, std::ostream& err) {
  // What the model's contract requires, checked before the model is built.
  const ModelConfig& mc = config.model;
  if (!mc.has_architecture()) {
    err << "RUN.json: model: the builtin trainer needs an architecture (dim, n_layers, ...)\n";
    return kTrainerExitUsage;
  }
  if (mc.vocab_size < data.vocab_size) {
    err << "RUN.json: model.vocab_size " << mc.vocab_size << " is smaller than the tokenizer's "
        << data.vocab_size << "\n";
    return kTrainerExitUsage;
  }
  if (config.training.seq_len > mc.max_seq_len) {
    err << "RUN.json: training.seq_len " << config.training.seq_len << " exceeds model.max_seq_len "
        << mc.max_seq_len << "\n";
    return kTrainerExitUsage;
  }
  if (data.base_train.size() <= static_cast<size_t>(config.training.seq_len) ||
      data.additional_train.size() <= static_cast<size_t>(config.training.seq_len)) {
    err << "the training data is shorter than one sequence of " << config.training.seq_len + 1
        << " tokens\n";
    return kTrainerExitUsage;
  }
  Run run(config, data, kernels, out, err);
  return run.Execute();
}

}  // namespace mixlaw
