// The fitted-law report (docs/report.md): what a sweep did, how well the coupling law describes
// it, and what it recommends for the target size, written as report.html (one self-contained
// page: Chart.js, its script, its style and every number inline, so that it opens offline from a
// file), report.md (the same tables, for a terminal or a code review) and fit.json (FIT.json).
// A report made from FIT.json alone has no run states and no loss curves: those sections say
// that they need a sweep.
#ifndef MIXLAW_REPORT_REPORT_H_
#define MIXLAW_REPORT_REPORT_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "fitter/fit.h"
#include "fitter/recommend.h"

namespace mixlaw {

// One evaluation of a run.
struct CurvePoint {
  int64_t step = 0;
  double loss = 0;  // nats per token; NaN or inf once a run diverged
};

// A run of the sweep as the report lists it.
struct ReportRun {
  std::string name;   // "p1m/almr0.25/lr3e-03/seed0"
  std::string stage;  // "pretrain" or "cpt"
  std::string model;
  double params = 0, almr = 0, peak_lr = 0;
  int64_t seed = 0;
  std::string state;           // as every command names it: "succeeded", "diverged", ...
  std::string failure_reason;  // empty when none
  std::map<std::string, std::vector<CurvePoint>> curves;  // eval split -> points, step order
};

// What was swept and how it ended.
struct SweepSummary {
  int64_t id = 0;
  std::string name, description;
  std::string state;                                    // "finished", "active", "cancelled"
  std::vector<std::pair<std::string, int64_t>> counts;  // each state with runs (FormatCounts)
  std::vector<ReportRun> runs;
};

// A check of the recommendation at the target size, trained for real (mixlaw demo).
struct TargetValidation {
  std::string model;  // the target model's name
  double params = 0;  // its parameter count
  double almr = 0;    // the ALMR trained at the target
  struct Run {
    double lr = 0;
    int64_t seed = 0;
    double loss_additional = 0, loss_base = 0;
  };
  std::vector<Run> runs;                        // every (LR, seed) trained at the target
  double predicted_lr = 0, predicted_loss = 0;  // the law's optimum at the target
  double measured_lr = 0, measured_loss = 0;    // the optimum of the measured losses
  double transfer_lr = 0, transfer_loss = 0;    // the largest proxy's optimum used as is
  // The split the optima refer to: eval/additional, eval/base, or "criterion", what the
  // recommendation minimises: L_additional + base_weight * L_base.
  std::string split = "eval/additional";
  std::string criterion;  // in words, for split "criterion"
  double base_weight = 1;
  // With seeds to resample (else NaN): the measured optimum's LR interval and each LR's regret
  // (its loss over the measured optimum's, minus 1) with its interval.
  Interval measured_lr_interval;
  double predicted_regret = kNaN, transfer_regret = kNaN;
  Interval predicted_regret_interval, transfer_regret_interval;
  int seeds = 0, resamples = 0;
  std::vector<std::string> goals;  // each goal with its verdict
};

// A study's rounds (mixlaw study run, docs/study.md): what each trained and why, and the
// recommended LR's interval after it.
struct StudySummary {
  std::string name, design, stop_reason;
  double grid_flops = 0, budget_flops = 0, spent_flops = 0;
  struct Choice {
    std::string run;
    double flops = 0;
    double gain = 0;      // the predicted drop of Var(ln LR*) it brings; 0 outside planned rounds
    double sd_after = 0;  // the predicted sd of ln LR* once it is observed
  };
  // A run early stopping ended.
  struct Stopped {
    std::string run;
    double trained_fraction = 0;
    std::string reason;
  };
  struct Round {
    int round = 0;
    std::string sweep, reason;
    double sd_before = kNaN;
    double spent_flops = 0;  // through this round
    double almr = kNaN, lr = kNaN;
    Interval lr_interval;
    std::vector<Choice> choices;
    std::vector<Stopped> stopped;
  };
  std::vector<Round> rounds;
};

struct ReportInput {
  std::optional<SweepSummary> sweep;  // absent for a report of FIT.json alone
  std::string fit_path;               // the FIT.json read, when there is no sweep
  LawFit fit;                         // a coupling-law fit
  RecommendOptions options;           // the target size, criterion and transfer rule
  std::optional<Recommendation> recommendation;
  std::string recommendation_error;  // why there is none (no ALMR within the budget, say)
  std::optional<TargetValidation> validation;
  std::optional<StudySummary> study;
};

// The files WriteReport wrote.
struct ReportFiles {
  std::string html, markdown, fit;
};

// The page and the Markdown of `input`. InvalidArgument when the fit is not a coupling-law fit
// or the options are bad (as Recommend checks them).
absl::StatusOr<std::string> ReportHtml(const ReportInput& input);
absl::StatusOr<std::string> ReportMarkdown(const ReportInput& input);

// Writes report.html, report.md and fit.json into `dir` (created when missing). Errors name the
// file that could not be written.
absl::StatusOr<ReportFiles> WriteReport(const ReportInput& input, const std::string& dir);

}  // namespace mixlaw

#endif  // MIXLAW_REPORT_REPORT_H_
