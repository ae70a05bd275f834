#include "orchestrator/sweep_spec.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/child_process.h"
#include "common/json_fields.h"
#include "trainer/synthetic_trainer.h"

namespace mixlaw {

const std::vector<std::string>& CommandPlaceholders() {
  static const std::vector<std::string> names = {"config",
                                                 "output_dir",
                                                 "run_id",
                                                 "run_name",
                                                 "almr",
                                                 "peak_lr",
                                                 "seed",
                                                 "model",
                                                 "params",
                                                 "data_base",
                                                 "data_additional",
                                                 "init_checkpoint",
                                                 "resume_checkpoint"};
  return names;
}

namespace {

std::string Resolve(const std::string& path, const std::string& base) {
  if (path.empty()) return path;
  std::filesystem::path p(path);
  if (p.is_absolute()) return p.lexically_normal().string();
  return (std::filesystem::path(base) / p).lexically_normal().string();
}

// A grid axis: a list of numbers, or {"min", "max", "num", "scale"}.
std::vector<double> ParseAxis(const nlohmann::json& value, const std::string& path,
                              FieldReader& reader, Bounds bounds, const char* default_scale) {
  std::vector<double> values;
  if (value.is_array()) {
    if (value.empty()) reader.Problem(path, "must list at least one value");
    for (size_t i = 0; i < value.size(); ++i) {
      std::string item = IndexPath(path, i);
      if (!value[i].is_number()) {
        reader.Problem(item, absl::StrCat("must be a number, not ", value[i].type_name()));
        continue;
      }
      double v = value[i].get<double>();
      if (reader.CheckBounds(v, item, bounds)) values.push_back(v);
    }
  } else if (value.is_object()) {
    if (!reader.CheckObject(value, path, {"min", "max", "num", "scale"})) return values;
    auto lo = reader.Number(value, path, "min", true, bounds);
    auto hi = reader.Number(value, path, "max", true, bounds);
    auto num = reader.Integer(value, path, "num", true, Bounds::Closed(1, 1000));
    std::string scale = reader.String(value, path, "scale", false).value_or(default_scale);
    if (scale != "log" && scale != "linear") {
      reader.Problem(JoinPath(path, "scale"), "'" + scale + "' must be log or linear");
      return values;
    }
    if (!lo || !hi || !num) return values;
    if (*hi < *lo) {
      reader.Problem(JoinPath(path, "max"),
                     absl::StrCat(FormatNumber(*hi), " is below min ", FormatNumber(*lo)));
      return values;
    }
    if (scale == "log" && *lo <= 0) {
      reader.Problem(JoinPath(path, "min"), "must be > 0 on a log scale");
      return values;
    }
    for (int64_t i = 0; i < *num; ++i) {
      double f = *num == 1 ? 0.0 : static_cast<double>(i) / static_cast<double>(*num - 1);
      double v = scale == "log" ? std::exp(std::log(*lo) + f * (std::log(*hi) - std::log(*lo)))
                                : *lo + f * (*hi - *lo);
      // Round to 6 significant digits so that names and CSV columns read cleanly.
      values.push_back(std::stod(absl::StrCat(absl::SixDigits(v))));
    }
  } else {
    reader.Problem(path, absl::StrCat("must be a list of numbers or {min, max, num, scale}, not ",
                                      value.type_name()));
  }
  std::set<double> seen;
  for (size_t i = 0; i < values.size(); ++i) {
    if (!seen.insert(values[i]).second) {
      reader.Problem(path, absl::StrCat(FormatNumber(values[i]), " appears twice"));
    }
  }
  return values;
}

// `points`: a non-empty list of {"almr", "lr"[, "models", "seeds"]}, none training a run that
// another or the grid trains (compared as the run names print them). Runs after the models.
void ParsePoints(const nlohmann::json& value, SweepSpec& spec, FieldReader& reader) {
  if (!value.is_array() || value.empty()) {
    reader.Problem("points", "must be a non-empty list of {\"almr\": A, \"lr\": L}");
    return;
  }
  std::set<std::string> model_names;
  for (const ModelConfig& m : spec.models) model_names.insert(m.name);
  std::set<std::pair<std::string, std::string>> grid;
  for (double almr : spec.almr) {
    for (double lr : spec.lr) grid.insert({FormatNumber(almr), FormatNumber(lr)});
  }
  // (almr, lr) -> the (model, seed) pairs points train there; "" / -1 stand for every one.
  std::map<std::pair<std::string, std::string>, std::set<std::pair<std::string, int64_t>>> seen;
  for (size_t i = 0; i < value.size(); ++i) {
    const std::string path = IndexPath("points", i);
    if (!reader.CheckObject(value[i], path, {"almr", "lr", "models", "seeds"})) continue;
    std::optional<double> almr =
        reader.Number(value[i], path, "almr", true, Bounds::Closed(0.0, 1.0));
    std::optional<double> lr = reader.Number(value[i], path, "lr", true, Bounds::Positive());
    SweepPoint point;
    bool valid = almr.has_value() && lr.has_value();
    if (value[i].contains("models")) {
      const nlohmann::json& models = value[i]["models"];
      const std::string models_path = JoinPath(path, "models");
      if (!models.is_array() || models.empty()) {
        reader.Problem(models_path, "must be a non-empty list of model names");
        valid = false;
      } else {
        for (size_t k = 0; k < models.size(); ++k) {
          const std::string name = models[k].is_string() ? models[k].get<std::string>() : "";
          if (model_names.count(name) == 0) {
            reader.Problem(IndexPath(models_path, k), "must name a model of `models`");
            valid = false;
          } else if (std::find(point.models.begin(), point.models.end(), name) !=
                     point.models.end()) {
            reader.Problem(IndexPath(models_path, k), "'" + name + "' appears twice");
            valid = false;
          } else {
            point.models.push_back(name);
          }
        }
      }
    }
    if (value[i].contains("seeds")) {
      const nlohmann::json& seeds = value[i]["seeds"];
      const std::string seeds_path = JoinPath(path, "seeds");
      if (!seeds.is_array() || seeds.empty()) {
        reader.Problem(seeds_path, "must be a non-empty list of integers");
        valid = false;
      } else {
        for (size_t k = 0; k < seeds.size(); ++k) {
          const nlohmann::json& v = seeds[k];
          const std::optional<int64_t> seed = v.is_number_integer() && v.get<int64_t>() >= 0
                                                  ? std::optional<int64_t>(v.get<int64_t>())
                                                  : std::nullopt;
          if (!seed) {
            reader.Problem(IndexPath(seeds_path, k), "must be an integer >= 0");
            valid = false;
          } else if (std::find(point.seeds.begin(), point.seeds.end(), *seed) !=
                     point.seeds.end()) {
            reader.Problem(IndexPath(seeds_path, k), absl::StrCat(*seed, " appears twice"));
            valid = false;
          } else {
            point.seeds.push_back(*seed);
          }
        }
      }
    }
    if (!valid) continue;
    const auto key = std::make_pair(FormatNumber(*almr), FormatNumber(*lr));
    if (grid.count(key) > 0) {
      reader.Problem(
          path, absl::StrCat("almr ", key.first, ", lr ", key.second, " is already in the grid"));
      continue;
    }
    std::set<std::pair<std::string, int64_t>>& trained = seen[key];
    const std::vector<std::string> models =
        point.models.empty() ? std::vector<std::string>{""} : point.models;
    const std::vector<int64_t> seeds = point.seeds.empty() ? std::vector<int64_t>{-1} : point.seeds;
    bool repeats = false;
    for (const std::string& m : models) {
      for (int64_t seed : seeds) {
        for (const auto& [other_model, other_seed] : trained) {
          repeats = repeats || ((m.empty() || other_model.empty() || m == other_model) &&
                                (seed < 0 || other_seed < 0 || seed == other_seed));
        }
      }
    }
    if (repeats) {
      reader.Problem(path, absl::StrCat("almr ", key.first, ", lr ", key.second,
                                        " appears twice for the same model and seed"));
      continue;
    }
    for (const std::string& m : models) {
      for (int64_t seed : seeds) trained.insert({m, seed});
    }
    point.almr = *almr;
    point.lr = *lr;
    spec.points.push_back(std::move(point));
  }
}

void CheckCommand(const std::string& command, const std::string& path, FieldReader& reader) {
  if (command.find("{config}") == std::string::npos) {
    reader.Problem(path, "must contain {config}, the path of the run's RUN.json");
  }
  for (size_t open = command.find('{'); open != std::string::npos;
       open = command.find('{', open + 1)) {
    size_t close = command.find('}', open);
    if (close == std::string::npos) break;
    std::string name = command.substr(open + 1, close - open - 1);
    const auto& known = CommandPlaceholders();
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      reader.Problem(path, "{" + name + "} is not a placeholder");
    }
  }
}

}  // namespace

absl::StatusOr<SweepSpec> ParseSweepSpec(const std::string& text, const std::string& source,
                                         const std::string& spec_dir) {
  absl::StatusOr<nlohmann::json> parsed = ParseJsonDocument(text, source);
  if (!parsed.ok()) return parsed.status();
  nlohmann::json& j = *parsed;  // non-const: operator[] as before
  FieldReader reader(source);
  SweepSpec spec;
  spec.canonical = j;
  if (!reader.CheckObject(j, "",
                          {"name", "description", "data", "models", "grid", "points", "seeds",
                           "training", "pretrain", "trainer", "fit", "max_attempts", "output_root",
                           "init_checkpoints", "study"})) {
    return reader.ToStatus();
  }
  spec.name = reader.String(j, "", "name", true).value_or("");
  if (j.contains("name") && j["name"].is_string() && !IsPlainName(spec.name, 100)) {
    reader.Problem("name", "must be 1 to 100 letters, digits, '-', '_' or '.'");
  }
  spec.description = reader.String(j, "", "description", false).value_or("");

  if (j.contains("data") && reader.CheckObject(j["data"], "data", {"base", "additional"})) {
    spec.data_base = Resolve(reader.String(j["data"], "data", "base", true).value_or(""), spec_dir);
    spec.data_additional =
        Resolve(reader.String(j["data"], "data", "additional", true).value_or(""), spec_dir);
  }

  if (!j.contains("models")) {
    reader.Problem("models", "is required");
  } else if (!j["models"].is_array() || j["models"].empty()) {
    reader.Problem("models", "must be a non-empty list of models");
  } else {
    std::set<std::string> names;
    for (size_t i = 0; i < j["models"].size(); ++i) {
      std::string path = IndexPath("models", i);
      ModelConfig m = ParseModelConfig(j["models"][i], path, reader);
      if (!m.name.empty() && !names.insert(m.name).second) {
        reader.Problem(JoinPath(path, "name"), "'" + m.name + "' is used by an earlier model");
      }
      spec.models.push_back(m);
    }
  }

  if (!j.contains("grid")) {
    if (!j.contains("points")) reader.Problem("grid", "is required (or points)");
  } else if (reader.CheckObject(j["grid"], "grid", {"almr", "lr"})) {
    if (!j["grid"].contains("almr")) reader.Problem("grid.almr", "is required");
    if (!j["grid"].contains("lr")) reader.Problem("grid.lr", "is required");
    if (j["grid"].contains("almr")) {
      spec.almr =
          ParseAxis(j["grid"]["almr"], "grid.almr", reader, Bounds::Closed(0.0, 1.0), "linear");
    }
    if (j["grid"].contains("lr")) {
      spec.lr = ParseAxis(j["grid"]["lr"], "grid.lr", reader, Bounds::Positive(), "log");
    }
  }

  if (j.contains("points")) ParsePoints(j["points"], spec, reader);

  if (!j.contains("seeds")) {
    spec.seeds = {0};
  } else if (!j["seeds"].is_array() || j["seeds"].empty()) {
    reader.Problem("seeds", "must be a non-empty list of integers");
  } else {
    std::set<int64_t> seen;
    for (size_t i = 0; i < j["seeds"].size(); ++i) {
      const auto& s = j["seeds"][i];
      if (!s.is_number_integer() || s.get<int64_t>() < 0) {
        reader.Problem(IndexPath("seeds", i), "must be an integer >= 0");
      } else if (!seen.insert(s.get<int64_t>()).second) {
        reader.Problem(IndexPath("seeds", i), absl::StrCat(s.get<int64_t>(), " appears twice"));
      } else {
        spec.seeds.push_back(s.get<int64_t>());
      }
    }
  }

  if (!j.contains("training")) {
    reader.Problem("training", "is required");
  } else {
    spec.training = ParseTrainingConfig(j["training"], "training", reader);
  }

  if (j.contains("pretrain") &&
      reader.CheckObject(j["pretrain"], "pretrain", {"lr", "seed", "training"})) {
    PretrainSpec p;
    p.peak_lr =
        reader.Number(j["pretrain"], "pretrain", "lr", true, Bounds::Positive()).value_or(0.0);
    p.seed =
        reader.Integer(j["pretrain"], "pretrain", "seed", false, Bounds::NonNegative()).value_or(0);
    if (j["pretrain"].contains("training")) {
      p.training = ParseTrainingConfig(j["pretrain"]["training"], "pretrain.training", reader);
    } else {
      reader.Problem("pretrain.training", "is required");
    }
    spec.pretrain = p;
  }

  if (j.contains("trainer") &&
      reader.CheckObject(j["trainer"], "trainer", {"kind", "command", "device", "synthetic"})) {
    const auto& t = j["trainer"];
    spec.trainer.kind = reader.String(t, "trainer", "kind", true).value_or("synthetic");
    spec.trainer.device = reader.String(t, "trainer", "device", false).value_or("cpu");
    if (spec.trainer.device != "cpu" && spec.trainer.device != "cuda") {
      reader.Problem("trainer.device", "'" + spec.trainer.device + "' must be cpu or cuda");
    }
    if (spec.trainer.kind == "exec") {
      spec.trainer.command = reader.String(t, "trainer", "command", true).value_or("");
      if (t.contains("command") && t["command"].is_string()) {
        // {spec_dir} is known now: trainer scripts can sit beside the spec.
        for (size_t at; (at = spec.trainer.command.find("{spec_dir}")) != std::string::npos;) {
          spec.trainer.command.replace(at, 10, ShellQuote(spec_dir));
        }
        CheckCommand(spec.trainer.command, "trainer.command", reader);
      }
    } else if (t.contains("command")) {
      reader.Problem("trainer.command", "is only for trainer.kind exec");
    }
    if (spec.trainer.kind == "synthetic") {
      if (t.contains("synthetic")) {
        ParseSyntheticConfig(t["synthetic"], "trainer.synthetic", reader);
        spec.trainer.synthetic = t["synthetic"];
      } else {
        spec.trainer.synthetic = nlohmann::json::object();
      }
    } else if (t.contains("synthetic")) {
      reader.Problem("trainer.synthetic", "is only for trainer.kind synthetic");
    }
    if (spec.trainer.kind != "builtin" && spec.trainer.kind != "synthetic" &&
        spec.trainer.kind != "exec") {
      reader.Problem(
          "trainer.kind",
          "'" + spec.trainer.kind + "' is not a trainer (expected builtin, synthetic or exec)");
    }
  } else if (!j.contains("trainer")) {
    reader.Problem("trainer", "is required");
  }

  if (spec.trainer.kind == "builtin") {
    if (!j.contains("data")) reader.Problem("data", "is required by the builtin trainer");
    for (size_t i = 0; i < spec.models.size(); ++i) {
      if (!spec.models[i].has_architecture() && j["models"][i].is_object()) {
        reader.Problem(IndexPath("models", i),
                       "the builtin trainer needs an architecture (dim, n_layers, ...)");
      }
    }
  }

  if (j.contains("fit") &&
      reader.CheckObject(j["fit"], "fit", {"target_params", "max_lr_over_best"})) {
    spec.target_params = reader.Number(j["fit"], "fit", "target_params", false, Bounds::Positive());
    spec.max_lr_over_best =
        reader.Number(j["fit"], "fit", "max_lr_over_best", false, Bounds::Above(1));
  }
  spec.max_attempts = static_cast<int>(
      reader.Integer(j, "", "max_attempts", false, Bounds::Closed(1, 100)).value_or(3));
  // Absent: the orchestrator puts runs beside its store (see SweepServiceImpl).
  spec.output_root = Resolve(reader.String(j, "", "output_root", false).value_or(""), spec_dir);
  if (j.contains("init_checkpoints")) {
    const nlohmann::json& c = j["init_checkpoints"];
    if (!c.is_object() || c.empty()) {
      reader.Problem("init_checkpoints", "must be an object of model names to checkpoint paths");
    } else {
      std::set<std::string> names;
      for (const ModelConfig& m : spec.models) names.insert(m.name);
      for (const auto& [model, path] : c.items()) {
        const std::string field = JoinPath("init_checkpoints", model);
        if (names.count(model) == 0) {
          reader.Problem(field, "must name a model of `models`");
        } else if (!path.is_string() || path.get<std::string>().empty()) {
          reader.Problem(field, "must be a checkpoint's path");
        } else {
          spec.init_checkpoints[model] = Resolve(path.get<std::string>(), spec_dir);
        }
      }
    }
  }
  if (j.contains("study")) {
    if (j["study"].is_object()) {
      spec.study = j["study"];
    } else {
      reader.Problem("study", "must be an object (written by mixlaw study run)");
    }
  }

  if (!reader.ok()) return reader.ToStatus();
  return spec;
}

std::string CptRunName(const std::string& model, double almr, double lr, int64_t seed) {
  return absl::StrCat(model, "/almr", FormatNumber(almr), "/lr", FormatNumber(lr), "/seed", seed);
}

std::vector<PlannedRun> ExpandSweep(const SweepSpec& spec) {
  std::vector<PlannedRun> runs;
  auto base_run = [&](const ModelConfig& model) {
    PlannedRun r;
    r.model = model.name;
    r.params = model.FitParams();
    r.device = spec.trainer.device;
    r.trainer_kind = spec.trainer.kind;
    r.command = spec.trainer.command;
    r.config.sweep = spec.name;
    r.config.model = model;
    r.config.data_base = spec.data_base;
    r.config.data_additional = spec.data_additional;
    r.config.device = spec.trainer.device;
    if (spec.trainer.kind == "synthetic") r.config.synthetic = spec.trainer.synthetic;
    return r;
  };
  auto finish = [&](PlannedRun& r) {
    r.config.run_name = r.name;
    r.config.stage = r.stage;
    r.config.almr = r.almr;
    r.config.peak_lr = r.peak_lr;
    r.config.seed = r.seed;
    r.tokens = r.config.training.tokens;
    r.total_steps = r.config.training.total_steps();
    r.config.output_dir = (std::filesystem::path(spec.output_root) / spec.name / r.name).string();
  };
  std::vector<SweepPoint> combinations;
  for (double almr : spec.almr) {
    for (double lr : spec.lr) combinations.push_back({almr, lr, {}, {}});
  }
  combinations.insert(combinations.end(), spec.points.begin(), spec.points.end());
  auto trains = [](const SweepPoint& point, const std::string& model) {
    return point.models.empty() ||
           std::find(point.models.begin(), point.models.end(), model) != point.models.end();
  };
  for (const ModelConfig& model : spec.models) {
    const bool has_cpt = std::any_of(combinations.begin(), combinations.end(),
                                     [&](const SweepPoint& p) { return trains(p, model.name); });
    if (!has_cpt) continue;
    int pretrain_index = -1;
    const auto given = spec.init_checkpoints.find(model.name);
    if (spec.pretrain.has_value() && given == spec.init_checkpoints.end()) {
      PlannedRun r = base_run(model);
      r.name = absl::StrCat(model.name, "/pretrain");
      r.stage = "pretrain";
      r.almr = 0.0;
      r.peak_lr = spec.pretrain->peak_lr;
      r.seed = spec.pretrain->seed;
      r.config.training = spec.pretrain->training;
      finish(r);
      pretrain_index = static_cast<int>(runs.size());
      runs.push_back(std::move(r));
    }
    for (const SweepPoint& point : combinations) {
      if (!trains(point, model.name)) continue;
      for (int64_t seed : point.seeds.empty() ? spec.seeds : point.seeds) {
        PlannedRun r = base_run(model);
        r.name = CptRunName(model.name, point.almr, point.lr, seed);
        r.stage = "cpt";
        r.almr = point.almr;
        r.peak_lr = point.lr;
        r.seed = seed;
        r.depends_on = pretrain_index;
        if (given != spec.init_checkpoints.end()) r.config.init_checkpoint = given->second;
        r.config.training = spec.training;
        finish(r);
        runs.push_back(std::move(r));
      }
    }
  }
  return runs;
}

}  // namespace mixlaw
