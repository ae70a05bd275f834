// mixlaw fit: a law fitted to final losses from a CSV (docs/fit.md, docs/laws.md).
#include <cmath>
#include <cstdio>
#include <iostream>
#include <optional>
#include <set>

#include "cli/commands.h"
#include "cli/recommend_flags.h"
#include "cli/sweep_source.h"
#include "common/number_format.h"
#include "fitter/fit.h"
#include "fitter/fit_json.h"

namespace mixlaw {

namespace {

struct FitFlags {
  int64_t sweep_id = 0;
  SweepSourceFlags source;
  std::string csv;
  int last_evals = 1;
  std::string law = "coupling";
  std::string split = kSplitAdditional;
  std::string out;
  bool no_cv = false;
  FitOptions options;
};

std::string Interval(const ParameterEstimate& p) {
  if (std::isnan(p.lower)) return "";
  return "[" + FormatEstimate(p.lower) + ", " + FormatEstimate(p.upper) + "]";
}

void PrintComponent(const ComponentFit& c, int bootstrap) {
  std::printf("\n%s: %s\n", c.split.c_str(), c.formula.c_str());
  std::printf("  %-10s %12s %12s   %s\n", "parameter", "value", "std.err",
              bootstrap > 0 ? "95% bootstrap interval" : "");
  for (const ParameterEstimate& p : c.parameters) {
    if (p.held) {
      std::printf("  %-10s %12s %12s\n", p.name.c_str(), FormatEstimate(p.value).c_str(), "held");
      continue;
    }
    std::printf("  %-10s %12s %12s   %s%s\n", p.name.c_str(), FormatEstimate(p.value).c_str(),
                FormatStdError(p.std_error).c_str(), Interval(p).c_str(),
                p.at_bound ? "  (at a bound)" : "");
  }
  size_t near_best = 0, converged = 0;
  for (const StartOutcome& s : c.starts) {
    converged += s.termination == "CONVERGENCE" ? 1 : 0;
    near_best += s.usable() && s.cost <= c.cost * (1 + 1e-6) + 1e-15 ? 1 : 0;
  }
  std::printf(
      "  R^2 (log) %.4f, RMSE (log) %.4f, cost %.6g on %zu points; %zu starts, %zu "
      "converged, %zu reached the best\n",
      c.r2_log, c.rmse_log, c.cost, c.points, c.starts.size(), converged, near_best);
  if (!c.cross_validation.empty()) {
    std::printf(
        "  cross-validation, each group left out and predicted (RMSE of ln L; predicted "
        "over measured optimal LR):\n");
    for (const CvFold& f : c.cross_validation) {
      std::string value = f.group == "params" ? FormatParams(f.held_out) : FormatAlmr(f.held_out);
      std::printf("    %-6s %-8s %3zu points  RMSE %.4f", f.group.c_str(), value.c_str(), f.points,
                  f.rmse_log);
      if (f.optima > 0) {
        std::printf("  LR optimum off by %s median, %s max over %zu",
                    FormatFactor(f.lr_factor_median).c_str(), FormatFactor(f.lr_factor_max).c_str(),
                    f.optima);
      }
      std::printf("\n");
    }
  }
  for (const std::string& w : c.warnings) std::printf("  warning: %s\n", w.c_str());
}

void PrintFit(const LawFit& fit, int bootstrap) {
  std::set<double> lrs;
  for (const auto& [n, values] : fit.data.lrs) lrs.insert(values.begin(), values.end());
  std::printf(
      "%s law on %zu runs of %s (%zu sizes, %zu ALMRs, %zu LRs); %zu diverged runs "
      "excluded\n",
      fit.law.c_str(), fit.data.runs, fit.source.c_str(), fit.data.sizes.size(),
      fit.data.almrs.size(), lrs.size(), fit.diverged.size());
  for (const ComponentFit& c : fit.components) PrintComponent(c, bootstrap);
  if (!fit.warnings.empty()) std::printf("\ndata:\n");
  for (const std::string& w : fit.warnings) std::printf("  warning: %s\n", w.c_str());
  if (!fit.diverged.empty()) std::printf("\ndiverged runs (excluded):\n");
  for (const std::string& name : fit.diverged) std::printf("  %s\n", name.c_str());
  if (!fit.notes.empty()) std::printf("\nrows skipped:\n");
  for (const std::string& note : fit.notes) std::printf("  %s\n", note.c_str());
}

int RunFit(FitFlags& f) {
  const LawEntry* entry = FindLaw(f.law);
  if (entry == nullptr) {
    std::cerr << "mixlaw fit: unknown law '" << f.law << "' (laws: " << LawNames() << ")\n";
    return kExitUsage;
  }
  if (std::optional<int> refused = CheckRunSource("fit", f.sweep_id, f.csv, "--csv FILE",
                                                  f.last_evals, "a CSV holds one loss a run")) {
    return *refused;
  }
  absl::StatusOr<ObservationSet> set;
  if (f.sweep_id != 0) {
    SweepData data;
    int exit_code = kExitError;
    set = LoadSweepObservations(f.source, f.sweep_id, f.last_evals, false, &data, &exit_code);
    if (!set.ok()) {
      std::cerr << "mixlaw fit: " << set.status().message() << "\n";
      return exit_code;
    }
  } else {
    set = ReadObservationsCsv(f.csv);
    if (!set.ok()) {
      std::cerr << "mixlaw fit: " << set.status().message() << "\n";
      return ExitCodeForInputFile(set.status().code());
    }
  }
  f.options.cross_validate = !f.no_cv;
  absl::StatusOr<LawFit> fit = FitObservations(*entry, *set, f.split, f.options);
  if (!fit.ok()) {
    std::cerr << "mixlaw fit: " << fit.status().message() << "\n";
    return ExitCodeForCode(fit.status().code());
  }
  if (!f.out.empty()) {
    absl::Status written = WriteFitFile(*fit, f.out);
    if (!written.ok()) {
      std::cerr << "mixlaw fit: " << written.message() << "\n";
      return kExitError;
    }
  }
  if (f.source.client.json) {
    std::cout << FitToJson(*fit).dump(2) << "\n";
  } else {
    PrintFit(*fit, f.options.bootstrap);
    if (!f.out.empty()) std::printf("\nwrote %s\n", f.out.c_str());
  }
  return kExitOk;
}

}  // namespace

void AddFitCommand(CLI::App& app, int* exit_code) {
  static FitFlags f;
  CLI::App* fit = app.add_subcommand("fit", "Fit a law to the final losses of a sweep or of a CSV");
  fit->add_option("SWEEP", f.sweep_id, "Sweep id (from an orchestrator, or --db FILE)");
  fit->add_option("--csv", f.csv,
                  "Runs: `sweep export --table runs --format csv`, or "
                  "params,almr,lr,loss_base,loss_additional[,tokens,seed,name]");
  fit->add_option("--law", f.law, "Law: " + LawNames())->capture_default_str();
  fit->add_option("--split", f.split, "The split fitted by laws of one split")
      ->capture_default_str();
  fit->add_option("--out", f.out, "Write the fit here (FIT.json, read by `mixlaw recommend`)");
  fit->add_option("--huber-delta", f.options.solve.huber_delta,
                  "Huber loss threshold on the log residuals")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  fit->add_option("--bootstrap", f.options.bootstrap, "Bootstrap resamples of the runs (0: none)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  fit->add_option("--seed", f.options.seed, "Seed of the start sample and the bootstrap")
      ->capture_default_str();
  fit->add_option("--starts", f.options.max_starts, "At most this many starts from the law's grid")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  fit->add_option("--threads", f.options.threads, "Threads")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  fit->add_option("--last-evals", f.last_evals,
                  "With a sweep: each run's loss is the mean of its last K evaluations")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  fit->add_flag("--no-cv", f.no_cv, "Skip the leave-one-group-out cross-validation");
  AddSweepSourceFlags(fit, &f.source);
  fit->callback([exit_code] { *exit_code = RunFit(f); });
}

}  // namespace mixlaw
