// mixlaw report: the fitted-law report of a sweep, or of FIT.json alone, as report.html,
// report.md and fit.json in one directory (docs/report.md).
#include <iostream>
#include <optional>

#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "cli/recommend_flags.h"
#include "cli/report_summary.h"
#include "cli/sweep_source.h"
#include "common/log.h"
#include "common/number_format.h"
#include "common/time.h"
#include "fitter/fit_json.h"
#include "fitter/lr_cliff.h"
#include "fitter/recommend_json.h"
#include "report/report.h"

namespace mixlaw {

namespace {

struct ReportFlags {
  int64_t sweep_id = 0;
  SweepSourceFlags source;
  std::string fit;
  std::string out;
  RecommendationFlags recommendation;
};

// Progress of the long parts on stderr; -q silences it with the log.
void Progress(const std::string& message) {
  if (GetLogLevel() <= LogLevel::kInfo) std::cerr << "mixlaw report: " << message << "\n";
}

// A failure with its exit code.
struct Failure {
  int code = kExitError;
  std::string message;
};

// Loads the sweep, fits the coupling law to it (with cross-validation and the bootstrap) and
// takes the target size from its spec unless given.
std::optional<Failure> FromSweep(const ReportFlags& f, ReportInput* input) {
  Progress(absl::StrCat("loading sweep ", f.sweep_id, " and its metric points"));
  SweepData data;
  int exit_code = kExitError;
  absl::StatusOr<ObservationSet> set =
      LoadSweepObservations(f.source, f.sweep_id, f.recommendation.last_evals,
                            /*with_points=*/true, &data, &exit_code);
  if (!set.ok()) return Failure{exit_code, std::string(set.status().message())};
  if (std::optional<std::string> problem =
          ResolveTargetParams(f.sweep_id, data.sweep.target_params(), &input->options)) {
    return Failure{kExitUsage, *problem};
  }
  input->options.max_lr_over_best = f.recommendation.MaxLrOverBest(SpecMaxLrOverBest(data.sweep));
  const ObservationSet fitted = LeaveOutAboveBest(*set, input->options);
  FitOptions options = f.recommendation.fit_options;
  options.cross_validate = true;  // the report shows it
  Progress(absl::StrCat("fitting the coupling law to ", fitted.runs.size(),
                        " runs, with "
                        "cross-validation and ",
                        options.bootstrap, " bootstrap resamples"));
  const int64_t start_ms = MonotonicMillis();
  absl::StatusOr<LawFit> fit =
      FitObservations(*FindLaw("coupling"), fitted, kSplitAdditional, options);
  if (!fit.ok()) {
    return Failure{ExitCodeForCode(fit.status().code()), std::string(fit.status().message())};
  }
  Progress(absl::StrCat("fitted in ", (MonotonicMillis() - start_ms) / 1000.0, " s"));
  input->fit = std::move(*fit);
  input->sweep = SummaryOf(data);
  return std::nullopt;
}

std::optional<Failure> FromFitFile(const ReportFlags& f, ReportInput* input) {
  if (std::optional<std::string> problem = ResolveTargetParams(0, 0, &input->options)) {
    return Failure{kExitUsage, *problem};
  }
  absl::StatusOr<LawFit> fit = ReadFitFile(f.fit);
  if (!fit.ok()) {
    return Failure{ExitCodeForInputFile(fit.status().code()), std::string(fit.status().message())};
  }
  input->fit = std::move(*fit);
  input->fit_path = f.fit;
  return std::nullopt;
}

int RunReport(const ReportFlags& f) {
  if (std::optional<int> refused =
          CheckRunSource("report", f.sweep_id, f.fit, "--fit FIT.json", f.recommendation.last_evals,
                         "FIT.json holds one loss a run")) {
    return *refused;
  }
  if (std::optional<int> refused = CheckCliffSource("report", f.sweep_id, f.recommendation)) {
    return *refused;
  }
  ReportInput input;
  input.options = f.recommendation.Options();
  std::optional<Failure> failure = f.sweep_id != 0 ? FromSweep(f, &input) : FromFitFile(f, &input);
  if (failure) {
    std::cerr << "mixlaw report: " << failure->message << "\n";
    return failure->code;
  }
  absl::StatusOr<Recommendation> rec = Recommend(input.fit, input.options);
  if (rec.ok()) {
    input.recommendation = std::move(*rec);
  } else if (rec.status().code() == absl::StatusCode::kFailedPrecondition) {
    // No ALMR within the budget: the report still shows the fit, and says why.
    input.recommendation_error = std::string(rec.status().message());
  } else {
    std::cerr << "mixlaw report: " << rec.status().message() << "\n";
    return ExitCodeForCode(rec.status().code());
  }
  Progress("writing the report");
  absl::StatusOr<ReportFiles> files = WriteReport(input, f.out);
  if (!files.ok()) {
    std::cerr << "mixlaw report: " << files.status().message() << "\n";
    return ExitCodeForCode(files.status().code());
  }
  if (f.source.client.json) {
    nlohmann::json j = {
        {"html", files->html},
        {"markdown", files->markdown},
        {"fit", files->fit},
        {"recommendation",
         input.recommendation ? RecommendationToJson(*input.recommendation) : nlohmann::json()}};
    if (!input.recommendation) j["recommendation_error"] = input.recommendation_error;
    std::cout << j.dump(2) << "\n";
    return kExitOk;
  }
  std::cout << "wrote " << files->html << "\nwrote " << files->markdown << "\nwrote " << files->fit
            << "\n";
  if (input.recommendation) {
    const Recommendation& r = *input.recommendation;
    std::cout << "recommendation for " << FormatParams(r.target_params) << ": ALMR "
              << FormatAlmr(r.almr) << ", peak LR " << FormatLr(r.lr) << " (" << r.criterion
              << ")\n";
  } else {
    std::cout << "no recommendation: " << input.recommendation_error << "\n";
  }
  return kExitOk;
}

}  // namespace

void AddReportCommand(CLI::App& app, int* exit_code) {
  static ReportFlags f;
  CLI::App* report = app.add_subcommand(
      "report",
      "The fitted-law report of a sweep or of FIT.json: report.html, report.md, fit.json");
  report->add_option("SWEEP", f.sweep_id,
                     "Sweep id: fit the coupling law to its runs (from an orchestrator, or --db)");
  report->add_option("--fit", f.fit, "FIT.json written by `mixlaw fit --out`, instead of a sweep");
  report->add_option("--out", f.out, "Directory to write report.html, report.md and fit.json to")
      ->required();
  AddRecommendationFlags(report, &f.recommendation);
  AddSweepSourceFlags(report, &f.source);
  report->callback([exit_code] { *exit_code = RunReport(f); });
}

}  // namespace mixlaw
