#include "study/study_spec.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/file_io.h"
#include "common/json_fields.h"
#include "common/number_format.h"

namespace mixlaw {

const char* StoppedRunFitName(StoppedRunFit fit) {
  switch (fit) {
    case StoppedRunFit::kOmit:
      return "omit";
    case StoppedRunFit::kWeighted:
      return "weighted";
    case StoppedRunFit::kPredicted:
      break;
  }
  return "predicted";
}

const char* DesignKindName(DesignKind kind) {
  return kind == DesignKind::kGrid ? "grid" : "adaptive";
}

double StudySpec::BudgetFlops() const {
  return stop.budget_flops > 0 ? stop.budget_flops : stop.budget_fraction * grid.Flops();
}

namespace {

// A sweep spec at `field` ("proxies", "target.sweep"): the object itself, or the file a string
// names. Empty on a problem.
std::optional<nlohmann::json> SweepJson(const nlohmann::json& value, const std::string& field,
                                        const std::string& spec_dir, FieldReader& reader,
                                        std::string* source, std::string* dir) {
  if (value.is_object()) {
    *source = field;
    *dir = spec_dir;
    return value;
  }
  if (!value.is_string()) {
    reader.Problem(field, "must be a sweep spec object or the path of one");
    return std::nullopt;
  }
  std::filesystem::path path(value.get<std::string>());
  if (path.is_relative()) path = std::filesystem::path(spec_dir) / path;
  absl::StatusOr<std::string> text = ReadFileToString(path.string());
  if (!text.ok()) {
    reader.Problem(field, std::string(text.status().message()));
    return std::nullopt;
  }
  absl::StatusOr<nlohmann::json> parsed = ParseJsonDocument(*text, path.string());
  if (!parsed.ok()) {
    reader.Problem(field, std::string(parsed.status().message()));
    return std::nullopt;
  }
  *source = path.string();
  *dir = path.parent_path().string();
  return *parsed;
}

// The grid a study chooses from, read off the expanded proxy sweep so that its names, sizes and
// token budgets are the ones the runs will have.
CandidateGrid GridOf(const SweepSpec& sweep) {
  CandidateGrid grid;
  std::map<std::string, bool> seen;
  for (const PlannedRun& r : ExpandSweep(sweep)) {
    if (r.stage != "cpt" || seen[r.model]) continue;
    seen[r.model] = true;
    grid.sizes.push_back({r.model, r.params, static_cast<double>(r.tokens)});
  }
  grid.almrs = sweep.almr;
  grid.lrs = sweep.lr;
  std::sort(grid.almrs.begin(), grid.almrs.end());
  std::sort(grid.lrs.begin(), grid.lrs.end());
  grid.seeds = sweep.seeds;
  return grid;
}

// target.sweep: the target model's sweep spec, one model, its paths made absolute; its model's
// size is the target's (target.params, when given too, must agree).
void ReadTargetSweep(const nlohmann::json& target, const std::string& spec_dir, FieldReader& reader,
                     StudySpec* spec) {
  std::string source, dir;
  std::optional<nlohmann::json> sweep =
      SweepJson(target["sweep"], "target.sweep", spec_dir, reader, &source, &dir);
  if (!sweep.has_value()) return;
  absl::StatusOr<SweepSpec> parsed = ParseSweepSpec(sweep->dump(), source, dir);
  if (!parsed.ok()) {
    for (const absl::string_view line : absl::StrSplit(parsed.status().message(), '\n')) {
      reader.Problem("", std::string(line));
    }
    return;
  }
  if (parsed->models.size() != 1) {
    reader.Problem("target.sweep.models", "must be exactly one model: the target");
    return;
  }
  const double params = parsed->models.front().FitParams();
  if (target.contains("params") && target["params"].is_number() &&
      std::fabs(target["params"].get<double>() / params - 1) > 1e-6) {
    reader.Problem("target.params",
                   absl::StrCat("differs from target.sweep's model (", FormatParams(params),
                                " non-embedding parameters)"));
    return;
  }
  spec->criterion.target_params = params;
  if (!parsed->data_base.empty() || !parsed->data_additional.empty()) {
    (*sweep)["data"] = {{"base", parsed->data_base}, {"additional", parsed->data_additional}};
  }
  if (!parsed->output_root.empty()) (*sweep)["output_root"] = parsed->output_root;
  spec->target_check.sweep = std::move(*sweep);
  spec->target_check.model = parsed->models.front().name;
}

}  // namespace

absl::StatusOr<StudySpec> ParseStudySpec(const std::string& text, const std::string& source,
                                         const std::string& spec_dir) {
  absl::StatusOr<nlohmann::json> parsed = ParseJsonDocument(text, source);
  if (!parsed.ok()) return parsed.status();
  nlohmann::json& j = *parsed;  // non-const: operator[] as before
  FieldReader reader(source);
  StudySpec spec;
  spec.canonical = j;
  if (!reader.CheckObject(j, "",
                          {"name", "description", "proxies", "target", "criterion", "design",
                           "initial", "runs_per_round", "stop", "early_stop", "bootstrap"})) {
    return reader.ToStatus();
  }
  spec.name = reader.String(j, "", "name", true).value_or("");
  if (j.contains("name") && j["name"].is_string() && !IsPlainName(spec.name, 90)) {
    reader.Problem("name", "must be 1 to 90 letters, digits, '-', '_' or '.'");
  }
  reader.String(j, "", "description", false);

  if (!j.contains("proxies")) {
    reader.Problem("proxies", "is required: the proxies' sweep spec, or its path");
  } else {
    std::string proxies_source, proxies_dir;
    std::optional<nlohmann::json> proxies =
        SweepJson(j["proxies"], "proxies", spec_dir, reader, &proxies_source, &proxies_dir);
    if (proxies.has_value()) {
      spec.proxies = *proxies;
      absl::StatusOr<SweepSpec> sweep =
          ParseSweepSpec(proxies->dump(), proxies_source, proxies_dir);
      if (!sweep.ok()) {
        for (const absl::string_view line : absl::StrSplit(sweep.status().message(), '\n')) {
          reader.Problem("", std::string(line));
        }
      } else if (sweep->almr.empty() || sweep->lr.empty()) {
        reader.Problem("proxies.grid", "is required: the grid is every run the study may train");
      } else if (!sweep->points.empty()) {
        reader.Problem("proxies.points", "is not allowed: the study chooses the points itself");
      } else if (!sweep->study.is_null()) {
        reader.Problem("proxies.study", "is not allowed in the proxies' spec");
      } else {
        spec.proxy_sweep = std::move(*sweep);
        spec.grid = GridOf(spec.proxy_sweep);
        if (spec.proxy_sweep.target_params.has_value()) {
          spec.criterion.target_params = *spec.proxy_sweep.target_params;
        }
        spec.criterion.max_lr_over_best = spec.proxy_sweep.max_lr_over_best.value_or(0);
      }
    }
  }

  if (j.contains("target") &&
      reader.CheckObject(j["target"], "target", {"params", "tokens", "sweep", "goals"})) {
    const nlohmann::json& t = j["target"];
    if (auto n = reader.Number(t, "target", "params", false, Bounds::Positive())) {
      spec.criterion.target_params = *n;
    }
    if (auto d = reader.Number(t, "target", "tokens", false, Bounds::Positive())) {
      spec.criterion.target_tokens = *d;
    }
    if (t.contains("sweep")) ReadTargetSweep(t, spec_dir, reader, &spec);
    if (t.contains("goals") &&
        reader.CheckObject(t["goals"], "target.goals", {"regret", "lr_factor", "loss_error"})) {
      TargetGoals& g = spec.target_check.goals;
      const nlohmann::json& goals = t["goals"];
      g.regret = reader.Number(goals, "target.goals", "regret", false, Bounds::Positive())
                     .value_or(g.regret);
      g.lr_factor = reader.Number(goals, "target.goals", "lr_factor", false, Bounds::Above(1))
                        .value_or(g.lr_factor);
      g.loss_error = reader.Number(goals, "target.goals", "loss_error", false, Bounds::Positive())
                         .value_or(g.loss_error);
      if (!t.contains("sweep")) reader.Problem("target.goals", "needs target.sweep: the check's");
    }
  }
  if (spec.criterion.target_params <= 0 && reader.ok()) {
    reader.Problem("target.params", "is required (or fit.target_params in the proxies' spec)");
  }
  if (j.contains("criterion") &&
      reader.CheckObject(j["criterion"], "criterion", {"weight", "forgetting_budget"})) {
    const nlohmann::json& c = j["criterion"];
    if (c.contains("weight") && c.contains("forgetting_budget")) {
      reader.Problem("criterion", "gives weight and forgetting_budget: choose one");
    }
    if (auto w = reader.Number(c, "criterion", "weight", false, Bounds::NonNegative())) {
      spec.criterion.weight = *w;
    }
    if (auto b = reader.Number(c, "criterion", "forgetting_budget", false, Bounds::Positive())) {
      spec.criterion.forgetting_budget = *b;
    }
  }

  const std::string design = reader.String(j, "", "design", false).value_or("adaptive");
  if (design == "grid") {
    spec.design = DesignKind::kGrid;
  } else if (design != "adaptive") {
    reader.Problem("design", "'" + design + "' must be adaptive or grid");
  }
  if (j.contains("initial") &&
      reader.CheckObject(j["initial"], "initial",
                         {"lrs", "almrs", "stride", "lr_ratio", "prior_lr"})) {
    const nlohmann::json& i = j["initial"];
    spec.initial.lrs = static_cast<int>(
        reader.Integer(i, "initial", "lrs", false, Bounds::Closed(2, 100)).value_or(3));
    spec.initial.almrs = static_cast<int>(
        reader.Integer(i, "initial", "almrs", false, Bounds::Closed(1, 100)).value_or(2));
    spec.initial.stride = static_cast<int>(
        reader.Integer(i, "initial", "stride", false, Bounds::Closed(1, 100)).value_or(2));
    spec.initial.lr_ratio =
        reader.Number(i, "initial", "lr_ratio", false, Bounds::Above(1)).value_or(0.0);
    spec.initial.prior_lr =
        reader.Number(i, "initial", "prior_lr", false, Bounds::Positive()).value_or(0.0);
  }
  spec.runs_per_round = static_cast<int>(
      reader.Integer(j, "", "runs_per_round", false, Bounds::Closed(1, 10000)).value_or(8));
  if (j.contains("stop") &&
      reader.CheckObject(j["stop"], "stop",
                         {"lr_factor", "budget_fraction", "budget_flops", "max_rounds"})) {
    const nlohmann::json& s = j["stop"];
    spec.stop.lr_factor =
        reader.Number(s, "stop", "lr_factor", false, Bounds::Above(1)).value_or(1.25);
    spec.stop.budget_fraction =
        reader.Number(s, "stop", "budget_fraction", false, Bounds{0.0, 1.0, true, false})
            .value_or(1.0);
    spec.stop.budget_flops =
        reader.Number(s, "stop", "budget_flops", false, Bounds::Positive()).value_or(0.0);
    spec.stop.max_rounds = static_cast<int>(
        reader.Integer(s, "stop", "max_rounds", false, Bounds::Closed(1, 1000)).value_or(12));
  }
  spec.bootstrap = static_cast<int>(
      reader.Integer(j, "", "bootstrap", false, Bounds::Closed(0, 100000)).value_or(200));
  if (spec.bootstrap < 20 && spec.design == DesignKind::kAdaptive) {
    reader.Problem("bootstrap",
                   "must be at least 20 in an adaptive study: its rounds are planned "
                   "from the resamples (0 leaves a grid study without intervals)");
  }
  if (j.contains("early_stop") && reader.CheckObject(j["early_stop"], "early_stop",
                                                     {"enabled", "min_fraction", "min_evals",
                                                      "bootstrap", "check_every_s", "fit"})) {
    const nlohmann::json& e = j["early_stop"];
    EarlyStopRule& rule = spec.early_stop;
    rule.enabled = reader.Bool(e, "early_stop", "enabled", false).value_or(true);
    rule.min_fraction =
        reader.Number(e, "early_stop", "min_fraction", false, Bounds{0.0, 1.0, true, true})
            .value_or(rule.min_fraction);
    rule.min_evals = static_cast<int>(
        reader.Integer(e, "early_stop", "min_evals", false, Bounds::Closed(4, 100000))
            .value_or(rule.min_evals));
    rule.bootstrap = static_cast<int>(
        reader.Integer(e, "early_stop", "bootstrap", false, Bounds::Closed(20, 100000))
            .value_or(rule.bootstrap));
    rule.check_every_s =
        reader.Number(e, "early_stop", "check_every_s", false, Bounds::Closed(0.1, 3600))
            .value_or(rule.check_every_s);
    const std::string fit = reader.String(e, "early_stop", "fit", false).value_or("predicted");
    if (fit == "omit") {
      rule.fit = StoppedRunFit::kOmit;
    } else if (fit == "weighted") {
      rule.fit = StoppedRunFit::kWeighted;
    } else if (fit != "predicted") {
      reader.Problem("early_stop.fit", "'" + fit + "' must be omit, predicted or weighted");
    }
  }

  if (!reader.ok()) return reader.ToStatus();
  return spec;
}

}  // namespace mixlaw
