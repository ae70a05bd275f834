#include "study/study.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/json_fields.h"
#include "common/number_format.h"
#include "fitter/laws/registry.h"
#include "fitter/lr_cliff.h"
#include "fitter/recommend_json.h"
#include "study/compute.h"

namespace mixlaw {

namespace {

constexpr char kReasonGrid[] = "the whole grid";
constexpr char kReasonInitial[] = "the initial design: LRs around the prior at every size";
constexpr char kReasonPlanned[] = "the runs that most narrow the target's recommended LR per FLOP";

std::string RoundName(const StudySpec& spec, int round) {
  return absl::StrCat(spec.name, "-r", round);
}

std::string Flops(double flops) { return FormatFlops(flops) + " FLOPs"; }

void Append(const ObservationSet& from, ObservationSet* to) {
  to->runs.insert(to->runs.end(), from.runs.begin(), from.runs.end());
  to->diverged.insert(to->diverged.end(), from.diverged.begin(), from.diverged.end());
  to->notes.insert(to->notes.end(), from.notes.begin(), from.notes.end());
}

// The round after `done` rounds: the initial design or the grid first, then planned rounds.
// An empty round's reason says why the study cannot go on.
absl::StatusOr<StudyRound> PlanNext(const StudySpec& spec, const std::vector<StudyRound>& done,
                                    const std::vector<ReplicateChoice>& replicates,
                                    const double noise_log[2], double spent) {
  StudyRound next;
  next.round = static_cast<int>(done.size()) + 1;
  next.sweep = RoundName(spec, next.round);
  if (done.empty()) {
    const bool grid = spec.design == DesignKind::kGrid;
    next.reason = grid ? kReasonGrid : kReasonInitial;
    for (const CandidateRun& run :
         grid ? spec.grid.All() : InitialDesign(spec.grid, spec.initial)) {
      next.choices.push_back({run, 0, 0});
    }
    return next;
  }
  std::set<std::string> taken;
  for (const StudyRound& r : done) {
    for (const DesignChoice& c : r.choices) taken.insert(c.run.RunName());
  }
  std::vector<CandidateRun> candidates;
  for (const CandidateRun& run : spec.grid.All()) {
    if (taken.count(run.RunName()) == 0) candidates.push_back(run);
  }
  if (candidates.empty()) {
    next.reason = "every run of the grid is trained";
    return next;
  }
  RoundOptions options;
  options.max_runs = spec.runs_per_round;
  options.budget_flops = spec.BudgetFlops() - spent;
  if (options.budget_flops <= 0) {
    next.reason = "the compute budget is spent";
    return next;
  }
  absl::StatusOr<RoundPlan> plan = PlanRound(replicates, candidates, noise_log, options);
  if (!plan.ok()) return plan.status();
  next.choices = std::move(plan->choices);
  next.sd_before = plan->sd_before;
  next.reason = next.choices.empty()
                    ? "no run left within the budget would narrow the recommended LR"
                    : kReasonPlanned;
  return next;
}

// What stopped runs cost: each counted to its stopping step.
double StoppedFlops(const std::vector<StoppedRun>& stopped) {
  double flops = 0;
  for (const StoppedRun& s : stopped) {
    flops += s.trained_fraction * TrainingFlops(s.run.params, s.run.tokens);
  }
  return flops;
}

// The runs a round's fit reads: those trained to their end, and with early_stop.fit "predicted"
// or "weighted" the stopped runs whose splits could both be predicted (weighted: each split at
// its prediction's weight, predicted: at 1).
ObservationSet FitSet(const StudySpec& spec, const StudyResult& result) {
  ObservationSet set = result.observations;
  if (spec.early_stop.fit == StoppedRunFit::kOmit) return set;
  for (const StoppedRun& s : result.stopped) {
    if (s.run.final_loss.count(kSplitAdditional) == 1 && s.run.final_loss.count(kSplitBase) == 1) {
      set.runs.push_back(s.run);
      if (spec.early_stop.fit == StoppedRunFit::kPredicted) set.runs.back().weight.clear();
    }
  }
  return set;
}

}  // namespace

nlohmann::json RoundSpec(const StudySpec& spec, const StudyRound& round,
                         const std::map<std::string, std::string>& checkpoints) {
  nlohmann::json j = spec.proxies;
  j.erase("grid");
  j["name"] = round.sweep;
  j["description"] =
      absl::StrCat("Round ", round.round, " of study ", spec.name, ": ", round.reason, ".");
  if (!spec.proxy_sweep.data_base.empty() || !spec.proxy_sweep.data_additional.empty()) {
    j["data"] = {{"base", spec.proxy_sweep.data_base},
                 {"additional", spec.proxy_sweep.data_additional}};
  }
  if (!spec.proxy_sweep.output_root.empty()) j["output_root"] = spec.proxy_sweep.output_root;
  nlohmann::json points = nlohmann::json::array();
  nlohmann::json choices = nlohmann::json::array();
  for (const DesignChoice& c : round.choices) {
    points.push_back({{"almr", c.run.almr},
                      {"lr", c.run.lr},
                      {"models", {c.run.model}},
                      {"seeds", {c.run.seed}}});
    choices.push_back({{"run", c.run.RunName()},
                       {"gain", JsonNumber(c.gain)},
                       {"sd_after", JsonNumber(c.sd_after)}});
  }
  j["points"] = points;
  if (spec.proxy_sweep.pretrain.has_value() && !checkpoints.empty()) {
    j["init_checkpoints"] = checkpoints;
  }
  j["study"] = {{"name", spec.name},
                {"round", round.round},
                {"design", DesignKindName(spec.design)},
                {"reason", round.reason},
                {"sd_before", JsonNumber(round.sd_before)},
                {"choices", choices}};
  return j;
}

absl::StatusOr<StudyRound> ReadRoundSpec(const StudySpec& spec, const nlohmann::json& round_spec) {
  const auto bad = [&](const std::string& what) {
    return absl::InvalidArgumentError(
        absl::StrCat("the round's sweep spec is not a round of study ", spec.name, ": ", what));
  };
  if (!round_spec.is_object() || !round_spec.contains("study") ||
      !round_spec["study"].is_object()) {
    return bad("it has no study object");
  }
  const nlohmann::json& s = round_spec["study"];
  if (!s.contains("name") || s["name"] != spec.name) return bad("study.name differs");
  if (!s.contains("round") || !s["round"].is_number_integer()) return bad("study.round is missing");
  if (!s.contains("choices") || !s["choices"].is_array()) return bad("study.choices is missing");
  std::map<std::string, CandidateRun> by_name;
  for (const CandidateRun& run : spec.grid.All()) by_name[run.RunName()] = run;
  StudyRound round;
  round.round = s["round"].get<int>();
  round.sweep = RoundName(spec, round.round);
  round.reason = s.value("reason", "");
  round.sd_before =
      s.contains("sd_before") && s["sd_before"].is_number() ? s["sd_before"].get<double>() : kNaN;
  for (const nlohmann::json& c : s["choices"]) {
    const std::string name = c.is_object() ? c.value("run", "") : "";
    const auto it = by_name.find(name);
    if (it == by_name.end()) return bad(absl::StrCat("run '", name, "' is not in the grid"));
    DesignChoice choice{it->second, 0, 0};
    if (c.contains("gain") && c["gain"].is_number()) choice.gain = c["gain"].get<double>();
    if (c.contains("sd_after") && c["sd_after"].is_number()) {
      choice.sd_after = c["sd_after"].get<double>();
    }
    round.choices.push_back(choice);
  }
  return round;
}

absl::StatusOr<StudyResult> RunStudy(const StudySpec& spec, RoundRunner& runner,
                                     const StudyOptions& options) {
  StudyResult result;
  result.grid_flops = spec.grid.Flops();
  result.budget_flops = spec.BudgetFlops();
  result.observations.source = absl::StrCat("study ", spec.name);
  FitOptions fit_options;
  fit_options.bootstrap = spec.bootstrap;
  fit_options.threads = options.threads;
  fit_options.seed = options.seed;
  std::vector<ReplicateChoice> replicates;
  double noise_log[2] = {0, 0};
  std::map<std::string, std::string> checkpoints;  // each model's first pretraining
  for (int r = 1;; ++r) {
    if (r > spec.stop.max_rounds) {
      result.stop_reason =
          absl::StrCat("the stop rule's ", spec.stop.max_rounds, " rounds are done");
      break;
    }
    absl::StatusOr<std::optional<nlohmann::json>> planned = runner.Planned(r);
    if (!planned.ok()) return planned.status();
    StudyRound round;
    nlohmann::json round_spec;
    if (planned->has_value()) {
      round_spec = **planned;
      absl::StatusOr<StudyRound> read = ReadRoundSpec(spec, round_spec);
      if (!read.ok()) return read.status();
      round = std::move(*read);
    } else {
      absl::StatusOr<StudyRound> next =
          PlanNext(spec, result.rounds, replicates, noise_log, result.spent_flops);
      if (!next.ok()) return next.status();
      round = std::move(*next);
      if (round.choices.empty()) {
        result.stop_reason = round.reason;
        break;
      }
      round_spec = RoundSpec(spec, round, checkpoints);
    }
    if (options.progress != nullptr) {
      *options.progress << "study " << spec.name << ": round " << r << ", " << round.choices.size()
                        << " runs (" << round.reason << ")\n";
    }
    std::optional<RoundMonitor> monitor;
    if (spec.early_stop.enabled) monitor.emplace(spec, result.observations);
    absl::StatusOr<RoundOutcome> trained =
        runner.Run(round_spec, r, monitor.has_value() ? &*monitor : nullptr);
    if (!trained.ok()) return trained.status();
    Append(trained->observations, &result.observations);
    for (const auto& [model, path] : trained->checkpoints) checkpoints.emplace(model, path);
    round.stopped = trained->stopped;
    result.stopped.insert(result.stopped.end(), trained->stopped.begin(), trained->stopped.end());
    result.spent_flops = ObservedFlops(result.observations) + StoppedFlops(result.stopped);
    round.spent_flops = result.spent_flops;

    absl::StatusOr<LawFit> fit = FitObservations(
        *FindLaw("coupling"), LeaveOutAboveBest(FitSet(spec, result), spec.criterion),
        kSplitAdditional, fit_options);
    if (!fit.ok()) return fit.status();
    absl::StatusOr<Recommendation> rec = Recommend(*fit, spec.criterion);
    if (!rec.ok()) return rec.status();
    round.almr = rec->almr;
    round.lr = rec->lr;
    round.lr_lower = rec->lr_interval.lower;
    round.lr_upper = rec->lr_interval.upper;
    result.fit = std::move(*fit);
    result.recommendation = std::move(*rec);
    result.rounds.push_back(round);
    if (options.progress != nullptr) {
      *options.progress << "study " << spec.name << ": round " << r << " fitted: LR "
                        << FormatLr(round.lr) << " [" << FormatLr(round.lr_lower) << ", "
                        << FormatLr(round.lr_upper) << "] (" << FormatFactor(round.LrFactor())
                        << "), ALMR " << FormatAlmr(round.almr) << "; spent "
                        << Flops(result.spent_flops) << ", "
                        << FormatPercent(result.spent_flops / result.grid_flops)
                        << " of the grid\n";
    }
    if (spec.design == DesignKind::kGrid) {
      result.stop_reason = kReasonGrid + std::string(" is trained");
      break;
    }
    if (std::isfinite(round.LrFactor()) && round.LrFactor() <= spec.stop.lr_factor) {
      result.converged = true;
      result.stop_reason =
          absl::StrCat("the recommended LR's 95% interval spans ", FormatFactor(round.LrFactor()),
                       ", within the stop rule's ", FormatFactor(spec.stop.lr_factor));
      break;
    }
    absl::StatusOr<std::vector<ReplicateChoice>> reps =
        RecommendReplicates(result.fit, spec.criterion);
    if (!reps.ok()) return reps.status();
    replicates = std::move(*reps);
    for (const ComponentFit& c : result.fit.components) {
      const int index = c.split == kSplitAdditional ? 0 : 1;
      noise_log[index] = std::isfinite(c.rmse_log) ? c.rmse_log : 0.0;
    }
  }
  return result;
}

nlohmann::json StudyToJson(const StudySpec& spec, const StudyResult& result) {
  nlohmann::json rounds = nlohmann::json::array();
  for (const StudyRound& r : result.rounds) {
    nlohmann::json choices = nlohmann::json::array();
    for (const DesignChoice& c : r.choices) {
      choices.push_back({{"run", c.run.RunName()},
                         {"model", c.run.model},
                         {"params", c.run.params},
                         {"almr", c.run.almr},
                         {"lr", c.run.lr},
                         {"seed", c.run.seed},
                         {"flops", c.run.Flops()},
                         {"gain", JsonNumber(c.gain)},
                         {"sd_after", JsonNumber(c.sd_after)}});
    }
    nlohmann::json stopped = nlohmann::json::array();
    for (const StoppedRun& st : r.stopped) {
      nlohmann::json predicted = nlohmann::json::object();
      for (const auto& [split, loss] : st.run.final_loss) predicted[split] = JsonNumber(loss);
      nlohmann::json weights = nlohmann::json::object();
      for (const auto& [split, w] : st.run.weight) weights[split] = JsonNumber(w);
      stopped.push_back({{"run", st.run.name},
                         {"trained_fraction", st.trained_fraction},
                         {"predicted_final_loss", predicted},
                         {"prediction_weight", weights},
                         {"reason", st.reason}});
    }
    rounds.push_back({{"round", r.round},
                      {"sweep", r.sweep},
                      {"reason", r.reason},
                      {"sd_before", JsonNumber(r.sd_before)},
                      {"runs", choices},
                      {"stopped", stopped},
                      {"spent_flops", r.spent_flops},
                      {"almr", JsonNumber(r.almr)},
                      {"lr", JsonNumber(r.lr)},
                      {"lr_interval", {JsonNumber(r.lr_lower), JsonNumber(r.lr_upper)}},
                      {"lr_factor", JsonNumber(r.LrFactor())}});
  }
  return {{"study", spec.name},
          {"design", DesignKindName(spec.design)},
          {"stop_rule",
           {{"lr_factor", spec.stop.lr_factor},
            {"budget_fraction", spec.stop.budget_fraction},
            {"budget_flops", JsonNumber(spec.stop.budget_flops)},
            {"max_rounds", spec.stop.max_rounds}}},
          {"grid", {{"runs", spec.grid.All().size()}, {"flops", result.grid_flops}}},
          {"budget_flops", result.budget_flops},
          {"spent_flops", result.spent_flops},
          {"spent_fraction", JsonNumber(result.spent_flops / result.grid_flops)},
          {"runs_trained", result.observations.runs.size() + result.observations.diverged.size()},
          {"runs_stopped", result.stopped.size()},
          {"early_stop",
           {{"enabled", spec.early_stop.enabled},
            {"min_fraction", spec.early_stop.min_fraction},
            {"min_evals", spec.early_stop.min_evals},
            {"fit", StoppedRunFitName(spec.early_stop.fit)}}},
          {"converged", result.converged},
          {"stop_reason", result.stop_reason},
          {"rounds", rounds},
          {"recommendation", RecommendationToJson(result.recommendation)}};
}

}  // namespace mixlaw
