// mixlaw report: the fitted-law report of a sweep, or of FIT.json alone, as report.html,
// report.md and fit.json in one directory (docs/report.md).
#include <algorithm>
#include <chrono>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "cli/report_summary.h"
#include "cli/sweep_source.h"
#include "common/log.h"
#include "common/number_format.h"
#include "fitter/fit_json.h"
#include "fitter/recommend_json.h"
#include "orchestrator/run_state.h"
#include "report/report.h"

namespace mixlaw {

namespace {

struct ReportFlags {
  int64_t sweep_id = 0;
  SweepSourceFlags source;
  std::string fit;
  std::string out;
  double target_params = 0;
  double forgetting_budget = 0;
  double weight = 1;
  double lr_size_exponent = 0;
  FitOptions fit_options;
  int last_evals = 1;
  CLI::Option* target_option = nullptr;
  CLI::Option* budget_option = nullptr;
  CLI::Option* weight_option = nullptr;
  CLI::Option* exponent_option = nullptr;
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
  absl::StatusOr<SweepData> data = LoadSweep(f.source, f.sweep_id, /*with_points=*/true);
  if (!data.ok())
    return Failure{ExitCodeForCode(data.status().code()), std::string(data.status().message())};
  if (f.target_option->count() == 0) {
    input->options.target_params = data->sweep.target_params();
    if (!(input->options.target_params > 0)) {
      return Failure{kExitUsage, absl::StrCat("--target-params: required, as sweep ", f.sweep_id,
                                              "'s spec sets no fit.target_params")};
    }
  }
  absl::StatusOr<ObservationSet> set = SweepObservations(*data, f.last_evals);
  if (!set.ok()) return Failure{kExitError, std::string(set.status().message())};
  FitOptions options = f.fit_options;
  options.cross_validate = true;  // the report shows it
  Progress(absl::StrCat("fitting the coupling law to ", set->runs.size(),
                        " runs, with "
                        "cross-validation and ",
                        options.bootstrap, " bootstrap resamples"));
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<LawFit> fit =
      FitObservations(*FindLaw("coupling"), *set, kSplitAdditional, options);
  if (!fit.ok()) {
    return Failure{ExitCodeForCode(fit.status().code()), std::string(fit.status().message())};
  }
  Progress(absl::StrCat("fitted in ",
                        std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - start)
                                .count() /
                            1000.0,
                        " s"));
  input->fit = std::move(*fit);
  input->sweep = SummaryOf(*data);
  return std::nullopt;
}

std::optional<Failure> FromFitFile(const ReportFlags& f, ReportInput* input) {
  if (f.target_option->count() == 0) {
    return Failure{kExitUsage, "--target-params: required with --fit (FIT.json has no target)"};
  }
  absl::StatusOr<LawFit> fit = ReadFitFile(f.fit);
  if (!fit.ok()) {
    return Failure{fit.status().code() == absl::StatusCode::kNotFound ? kExitError : kExitUsage,
                   std::string(fit.status().message())};
  }
  input->fit = std::move(*fit);
  input->fit_path = f.fit;
  return std::nullopt;
}

int RunReport(const ReportFlags& f) {
  if (f.fit.empty() == (f.sweep_id == 0)) {
    std::cerr << "mixlaw report: give a sweep id or --fit FIT.json (one of them)\n";
    return kExitUsage;
  }
  if (f.last_evals > 1 && f.sweep_id == 0) {
    std::cerr << "mixlaw report: --last-evals needs a sweep (FIT.json holds one loss a run)\n";
    return kExitUsage;
  }
  ReportInput input;
  input.options.target_params = f.target_params;
  if (f.budget_option->count() > 0) input.options.forgetting_budget = f.forgetting_budget;
  if (f.weight_option->count() > 0) input.options.weight = f.weight;
  if (f.exponent_option->count() > 0) input.options.lr_size_exponent = f.lr_size_exponent;
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
  f.target_option =
      report
          ->add_option("--target-params", f.target_params,
                       "Parameters of the target model (default: the sweep's fit.target_params)")
          ->check(CLI::PositiveNumber);
  f.budget_option = report->add_option(
      "--forgetting-budget", f.forgetting_budget,
      "Nats the base-language loss may rise above its r = 0 optimum; minimise the additional loss");
  f.weight_option = report->add_option("--weight", f.weight,
                                       "Minimise L_additional + W * L_base (the default, W = 1)");
  f.budget_option->excludes(f.weight_option);
  f.exponent_option = report->add_option(
      "--lr-size-exponent", f.lr_size_exponent,
      "Transfer rule: the optimal LR scales as N^-E from the largest proxy size");
  f.fit_options.bootstrap = 200;
  report
      ->add_option("--bootstrap", f.fit_options.bootstrap,
                   "With a sweep: bootstrap resamples of its runs for the intervals and bands")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  report
      ->add_option("--last-evals", f.last_evals,
                   "With a sweep: each run's loss is the mean of its last K evaluations")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  report->add_option("--threads", f.fit_options.threads, "With a sweep: fitting threads")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  AddSweepSourceFlags(report, &f.source);
  report->callback([exit_code] { *exit_code = RunReport(f); });
}

}  // namespace mixlaw
