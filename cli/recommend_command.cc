// mixlaw recommend: the ALMR and peak LR for the target model from a coupling-law fit.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <optional>

#include "cli/commands.h"
#include "cli/recommend_flags.h"
#include "cli/sweep_source.h"
#include "common/json_fields.h"
#include "common/number_format.h"
#include "fitter/fit.h"
#include "fitter/fit_json.h"
#include "fitter/recommend.h"
#include "fitter/recommend_json.h"

namespace mixlaw {

namespace {

struct RecommendFlags {
  int64_t sweep_id = 0;
  SweepSourceFlags source;
  std::string fit;
  RecommendationFlags recommendation;
};

std::string Between(const Interval& i, std::string (*format)(double)) {
  return std::isnan(i.lower) ? "" : "  [" + format(i.lower) + ", " + format(i.upper) + "]";
}

void PrintRecommendation(const Recommendation& r) {
  std::printf("recommendation for %s (%s)\n", FormatParams(r.target_params).c_str(),
              r.criterion.c_str());
  std::printf("  ALMR             %-10s%s\n", FormatAlmr(r.almr).c_str(),
              Between(r.almr_interval, FormatAlmr).c_str());
  std::printf("  peak LR          %-10s%s\n", FormatLr(r.lr).c_str(),
              Between(r.lr_interval, FormatLr).c_str());
  std::printf("  eval/additional  %-10s%s\n", FormatLoss(r.loss_additional).c_str(),
              Between(r.loss_additional_interval, FormatLoss).c_str());
  std::printf("  eval/base        %-10s%s  (r = 0 optimum %s, forgetting %+.4f)\n",
              FormatLoss(r.loss_base).c_str(), Between(r.loss_base_interval, FormatLoss).c_str(),
              FormatLoss(r.base_reference).c_str(), r.forgetting);
  if (r.replicates > 0)
    std::printf("  intervals: 95%%, from %d bootstrap resamples\n", r.replicates);
  std::printf("  transfer: %s\n", r.transfer.c_str());
  std::printf("\nper ALMR at %s:\n  %-6s %-12s %-12s %-12s %-13s %-9s\n",
              FormatParams(r.target_params).c_str(), "ALMR", "LR* (add.)", "LR* (base)", "LR",
              "L additional", "L base");
  size_t every = std::max<size_t>(1, r.grid.size() / 20);
  for (size_t i = 0; i < r.grid.size(); ++i) {
    if (i % every != 0 && i + 1 != r.grid.size()) continue;
    const AlmrRow& row = r.grid[i];
    std::printf("  %-6s %-12s %-12s %-12s %-13s %-9s%s\n", FormatAlmr(row.almr).c_str(),
                FormatLr(row.lr_additional).c_str(), FormatLr(row.lr_base).c_str(),
                FormatLr(row.lr).c_str(), FormatLoss(row.loss_additional).c_str(),
                FormatLoss(row.loss_base).c_str(), row.feasible ? "" : "  over budget");
  }
  if (!r.warnings.empty()) std::printf("\nwarnings:\n");
  for (const std::string& w : r.warnings) std::printf("  - %s\n", w.c_str());
}

// The coupling law fitted to the sweep's runs for `options` (its max_lr_over_best settled from
// the flags or the sweep's spec), with bootstrap intervals; *target_params is the sweep spec's
// fit.target_params (0 when it sets none).
absl::StatusOr<LawFit> FitSweep(const RecommendFlags& f, RecommendOptions* options, int* exit_code,
                                double* target_params) {
  SweepData data;
  absl::StatusOr<ObservationSet> set = LoadSweepObservations(
      f.source, f.sweep_id, f.recommendation.last_evals, false, &data, exit_code);
  if (!set.ok()) return set.status();
  *target_params = data.sweep.target_params();
  options->max_lr_over_best = f.recommendation.MaxLrOverBest(SpecMaxLrOverBest(data.sweep));
  return FitForRecommendation(*set, *options, f.recommendation.fit_options);
}

int RunRecommend(const RecommendFlags& f) {
  if (std::optional<int> refused =
          CheckRunSource("recommend", f.sweep_id, f.fit, "--fit FIT.json",
                         f.recommendation.last_evals, "a FIT.json holds its losses")) {
    return *refused;
  }
  if (std::optional<int> refused = CheckCliffSource("recommend", f.sweep_id, f.recommendation)) {
    return *refused;
  }
  RecommendOptions options = f.recommendation.Options();
  if (f.sweep_id == 0) {
    if (std::optional<std::string> problem = ResolveTargetParams(0, 0, &options)) {
      std::cerr << "mixlaw recommend: " << *problem << "\n";
      return kExitUsage;
    }
  }
  int fit_exit = kExitError;
  double spec_target = 0;
  absl::StatusOr<LawFit> fit =
      f.sweep_id != 0 ? FitSweep(f, &options, &fit_exit, &spec_target) : ReadFitFile(f.fit);
  if (!fit.ok()) {
    std::cerr << "mixlaw recommend: " << fit.status().message() << "\n";
    if (f.sweep_id != 0) return fit_exit;
    return ExitCodeForInputFile(fit.status().code());
  }
  if (std::optional<std::string> problem = ResolveTargetParams(f.sweep_id, spec_target, &options)) {
    std::cerr << "mixlaw recommend: " << *problem << "\n";
    return kExitUsage;
  }
  absl::StatusOr<Recommendation> rec = Recommend(*fit, options);
  if (!rec.ok()) {
    std::cerr << "mixlaw recommend: " << rec.status().message() << "\n";
    return ExitCodeForCode(rec.status().code());
  }
  if (f.source.client.json) {
    std::cout << RecommendationReplyJson(*fit, *rec).dump(2) << "\n";
  } else {
    std::printf("%s law fitted to %zu runs of %s", fit->law.c_str(), fit->data.runs,
                fit->source.c_str());
    if (fit->max_lr_over_best > 0) {
      std::printf(" (%zu left out: LR above %s x their group's best)", fit->above_best.size(),
                  FormatNumber(fit->max_lr_over_best).c_str());
    }
    std::printf("\n\n");
    PrintRecommendation(*rec);
  }
  return kExitOk;
}

}  // namespace

void AddRecommendCommand(CLI::App& app, int* exit_code) {
  static RecommendFlags f;
  CLI::App* rec = app.add_subcommand(
      "recommend", "The ALMR and peak LR for the target model from a sweep or a coupling-law fit");
  rec->add_option(
      "SWEEP", f.sweep_id,
      "Sweep id: fit the coupling law to its runs (from an orchestrator, or --db FILE)");
  rec->add_option("--fit", f.fit, "FIT.json written by `mixlaw fit --out`, instead of a sweep");
  AddRecommendationFlags(rec, &f.recommendation);
  AddSweepSourceFlags(rec, &f.source);
  rec->callback([exit_code] { *exit_code = RunRecommend(f); });
}

}  // namespace mixlaw
