// `mixlaw study run SPEC`: a study on this machine, each round a sweep of the embedded
// orchestrator on DIR/study.db, each round's spec kept in DIR/rounds/ so that a study run again
// picks up where it stopped.
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/commands.h"
#include "cli/embedded_sweep.h"
#include "cli/output.h"
#include "cli/sweep_source.h"
#include "common/file_io.h"
#include "common/json_fields.h"
#include "common/number_format.h"
#include "report/report.h"
#include "study/study.h"

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

// Rounds as embedded sweeps on one store file.
class EmbeddedRounds : public RoundRunner {
 public:
  EmbeddedRounds(const StudyFlags& flags, const StudySpec& study, std::filesystem::path dir)
      : flags_(flags), study_(study), name_(study.name), dir_(std::move(dir)) {}

  absl::StatusOr<std::optional<nlohmann::json>> Planned(int round) override {
    const std::filesystem::path path = RoundPath(round);
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return std::optional<nlohmann::json>();
    absl::StatusOr<std::string> text = ReadFileToString(path.string());
    if (!text.ok()) return text.status();
    absl::StatusOr<nlohmann::json> parsed = ParseJsonDocument(*text, path.string());
    if (!parsed.ok()) return parsed.status();
    return std::optional<nlohmann::json>(std::move(*parsed));
  }

  absl::StatusOr<RoundOutcome> Run(const nlohmann::json& spec, int round,
                                   RoundMonitor* monitor) override {
    const std::filesystem::path path = RoundPath(round);
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    if (!std::filesystem::exists(path, ec)) {
      absl::Status written = WriteFileAtomically(path.string(), spec.dump(2) + "\n");
      if (!written.ok()) return written;
    }
    EmbeddedSweepOptions options;
    options.spec_path = path.string();
    options.db_path = (dir_ / "study.db").string();
    options.workers = flags_.workers > 0
                          ? flags_.workers
                          : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
    options.lease_timeout_s = flags_.lease_timeout_s;
    options.json_progress = false;
    options.terminal = isatty(STDERR_FILENO) != 0;
    options.progress = &std::cerr;
    if (monitor != nullptr) {
      options.monitor = [monitor](const std::vector<v1::Run>& runs, const PointsByRun& points) {
        return monitor->Check(runs, points);
      };
      options.monitor_interval_s = study_.early_stop.check_every_s;
    }
    absl::StatusOr<EmbeddedSweepResult> result = RunEmbeddedSweep(options);
    if (!result.ok()) return result.status();
    if (result->interrupted) {
      return absl::CancelledError(absl::StrCat("interrupted in round ", round,
                                               ": running again with the same --dir resumes it"));
    }
    failures_ = failures_ || HasFailures(result->sweep);
    RoundOutcome outcome;
    absl::StatusOr<ObservationSet> observations =
        SweepObservations(SweepData{result->sweep, result->runs, {}});
    if (!observations.ok()) return observations.status();
    outcome.observations = std::move(*observations);
    outcome.stopped = StoppedRuns(study_, result->runs, result->stopped_points);
    for (const v1::Run& r : result->runs) {
      const auto checkpoint = r.artifacts().find("checkpoint");
      if (r.stage() == "pretrain" && r.state() == v1::RUN_STATE_SUCCEEDED &&
          checkpoint != r.artifacts().end()) {
        outcome.checkpoints[r.model()] = checkpoint->second;
      }
    }
    return outcome;
  }

  bool failures() const { return failures_; }

 private:
  std::filesystem::path RoundPath(int round) const {
    return dir_ / "rounds" / absl::StrCat(name_, "-r", round, ".json");
  }

  const StudyFlags& flags_;
  const StudySpec& study_;
  std::string name_;
  std::filesystem::path dir_;
  bool failures_ = false;
};

void PrintRounds(const StudyResult& result, std::ostream& out) {
  out << absl::StrFormat("%-6s %5s %10s %10s  %-32s %s\n", "round", "runs", "spent", "of grid",
                         "LR at the target [95%]", "ALMR");
  for (const StudyRound& r : result.rounds) {
    out << absl::StrFormat("%-6d %5d %10.3g %10s  %-32s %s\n", r.round,
                           static_cast<int>(r.choices.size()), r.spent_flops,
                           FormatPercent(r.spent_flops / result.grid_flops),
                           absl::StrCat(FormatLr(r.lr), " [", FormatLr(r.lr_lower), ", ",
                                        FormatLr(r.lr_upper), "] ", FormatFactor(r.LrFactor())),
                           FormatAlmr(r.almr));
  }
}

// The study as the report shows it.
StudySummary SummaryOf(const StudySpec& spec, const StudyResult& result) {
  StudySummary st;
  st.name = spec.name;
  st.design = DesignKindName(spec.design);
  st.stop_reason = result.stop_reason;
  st.grid_flops = result.grid_flops;
  st.budget_flops = result.budget_flops;
  st.spent_flops = result.spent_flops;
  for (const StudyRound& r : result.rounds) {
    StudySummary::Round round;
    round.round = r.round;
    round.sweep = r.sweep;
    round.reason = r.reason;
    round.sd_before = r.sd_before;
    round.spent_flops = r.spent_flops;
    round.almr = r.almr;
    round.lr = r.lr;
    round.lr_interval = {r.lr_lower, r.lr_upper};
    for (const DesignChoice& c : r.choices) {
      round.choices.push_back({c.run.RunName(), c.run.Flops(), c.gain, c.sd_after});
    }
    for (const StoppedRun& x : r.stopped) {
      round.stopped.push_back({x.run.name, x.trained_fraction, x.reason});
    }
    st.rounds.push_back(std::move(round));
  }
  return st;
}

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
  EmbeddedRounds rounds(f, *spec, dir);
  StudyOptions options;
  options.threads = f.threads > 0
                        ? f.threads
                        : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  options.seed = f.seed;
  options.progress = &std::cerr;
  absl::StatusOr<StudyResult> result = RunStudy(*spec, rounds, options);
  if (!result.ok()) {
    // The spec was accepted: whatever fails now fails while working.
    std::cerr << "mixlaw study run: " << result.status().message() << "\n";
    return kExitError;
  }
  const nlohmann::json j = StudyToJson(*spec, *result);
  const std::string out_path = (dir / "study.json").string();
  absl::Status written = WriteFileAtomically(out_path, j.dump(2) + "\n");
  if (!written.ok()) {
    std::cerr << "mixlaw study run: " << written.message() << "\n";
    return kExitError;
  }
  ReportInput report;
  report.fit_path = absl::StrCat("study ", spec->name);
  report.fit = result->fit;
  report.options = spec->criterion;
  report.recommendation = result->recommendation;
  report.study = SummaryOf(*spec, *result);
  absl::StatusOr<ReportFiles> files = WriteReport(report, (dir / "report").string());
  if (!files.ok()) {
    std::cerr << "mixlaw study run: " << files.status().message() << "\n";
    return kExitError;
  }
  if (f.json) {
    std::cout << j.dump(2) << "\n";
  } else {
    PrintRounds(*result, std::cout);
    const Recommendation& rec = result->recommendation;
    std::cout << "study " << spec->name << " (" << DesignKindName(spec->design)
              << "): " << result->stop_reason << "\n"
              << "recommended at " << FormatParams(rec.target_params) << ": ALMR "
              << FormatAlmr(rec.almr) << ", LR " << FormatLr(rec.lr) << " ["
              << FormatLr(rec.lr_interval.lower) << ", " << FormatLr(rec.lr_interval.upper)
              << "], for " << rec.criterion << "\n"
              << "spent " << FormatFlops(result->spent_flops) << " FLOPs ("
              << FormatPercent(result->spent_flops / result->grid_flops) << " of the grid's "
              << FormatFlops(result->grid_flops) << ") in "
              << result->observations.runs.size() + result->observations.diverged.size() +
                     result->stopped.size()
              << " runs (" << result->stopped.size() << " stopped early); wrote " << out_path
              << " and " << files->html << "\n";
  }
  return rounds.failures() ? kExitRunsFailed : kExitOk;
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
