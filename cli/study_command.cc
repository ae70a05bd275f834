// `mixlaw study run SPEC`: a study on this machine (cli/embedded_study.h), each round a sweep of
// the embedded orchestrator on DIR/study.db, then the target check when the spec has one.
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/commands.h"
#include "cli/embedded_study.h"
#include "cli/output.h"
#include "cli/target_output.h"
#include "common/file_io.h"
#include "common/number_format.h"

namespace mixlaw {

namespace {

struct StudyFlags {
  std::string spec;
  std::string dir;
  int workers = 0;
  int threads = 0;
  uint64_t seed = 1;
  double lease_timeout_s = 60.0;
  bool json = false;
};

int RunStudyCommand(const StudyFlags& f) {
  InstallStopSignals();
  absl::StatusOr<std::string> text = ReadFileToString(f.spec);
  if (!text.ok()) {
    std::cerr << "mixlaw study run: " << text.status().message() << "\n";
    return kExitUsage;
  }
  std::error_code ec;
  absl::StatusOr<StudySpec> spec =
      ParseStudySpec(*text, f.spec, std::filesystem::absolute(f.spec, ec).parent_path().string());
  if (!spec.ok()) {
    std::cerr << "mixlaw study run: refused:\n" << spec.status().message() << "\n";
    return kExitUsage;
  }
  const std::filesystem::path dir(f.dir.empty() ? spec->name : f.dir);
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    std::cerr << "mixlaw study run: cannot create " << dir.string() << ": " << ec.message() << "\n";
    return kExitError;
  }
  EmbeddedStudyOptions options;
  options.dir = dir;
  options.workers = f.workers;
  options.threads = f.threads;
  options.seed = f.seed;
  options.lease_timeout_s = f.lease_timeout_s;
  options.progress = &std::cerr;
  options.sweeps = &std::cerr;
  absl::StatusOr<EmbeddedStudy> study = RunEmbeddedStudy(*spec, options);
  if (!study.ok()) {
    // The spec was accepted: whatever fails now fails while working.
    std::cerr << "mixlaw study run: " << study.status().message() << "\n";
    return absl::IsFailedPrecondition(study.status()) ? kExitRunsFailed : kExitError;
  }
  const StudyResult& result = study->study;
  if (f.json) {
    std::cout << study->json.dump(2) << "\n";
  } else {
    PrintRounds(result, std::cout);
    const Recommendation& rec = result.recommendation;
    std::cout << "study " << spec->name << " (" << DesignKindName(spec->design)
              << "): " << result.stop_reason << "\n"
              << "recommended at " << FormatParams(rec.target_params) << ": ALMR "
              << FormatAlmr(rec.almr) << ", LR " << FormatLr(rec.lr) << " ["
              << FormatLr(rec.lr_interval.lower) << ", " << FormatLr(rec.lr_interval.upper)
              << "], for " << rec.criterion << "\n"
              << "spent " << FormatFlops(result.spent_flops) << " FLOPs ("
              << FormatPercent(result.spent_flops / result.grid_flops) << " of the grid's "
              << FormatFlops(result.grid_flops) << ") in "
              << result.observations.runs.size() + result.observations.diverged.size() +
                     result.stopped.size()
              << " runs (" << result.stopped.size() << " stopped early)\n";
    if (study->target.has_value()) {
      PrintCheck(study->target->plan, study->target->check, study->target->model);
    }
    std::cout << "wrote " << study->study_path << " and " << study->report.html << "\n";
  }
  return study->failures ? kExitRunsFailed : kExitOk;
}

}  // namespace

void AddStudyCommand(CLI::App& app, int* exit_code) {
  static StudyFlags f;
  CLI::App* study = app.add_subcommand("study",
                                       "Run a study: proxy sweeps in rounds, chosen for "
                                       "what they tell about the target (docs/study.md)");
  study->require_subcommand(1);
  CLI::App* run = study->add_subcommand(
      "run", "Run a study to its end on this machine (resumes when run again with the same --dir)");
  run->add_option("SPEC", f.spec, "Study spec (docs/study.md)")->required();
  run->add_option("--dir", f.dir, "Working directory: store, round specs, runs (default: NAME)");
  run->add_option("--workers", f.workers, "Concurrent trainers (default: one per core)");
  run->add_option("--threads", f.threads, "Threads for the fits (default: one per core)");
  run->add_option("--seed", f.seed, "Seed of the fits' starts and bootstrap resamples")
      ->capture_default_str();
  run->add_option("--lease-timeout", f.lease_timeout_s,
                  "Seconds without a heartbeat before a run is leased again")
      ->capture_default_str();
  run->add_flag("--json", f.json, "Print study.json (also written to DIR/study.json)");
  run->callback([exit_code] { *exit_code = RunStudyCommand(f); });
}

}  // namespace mixlaw
