#include "cli/embedded_study.h"

#include <unistd.h>

#include <algorithm>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/embedded_sweep.h"
#include "cli/output.h"
#include "cli/report_summary.h"
#include "cli/sweep_source.h"
#include "cli/target_output.h"
#include "common/file_io.h"
#include "common/json_fields.h"
#include "common/number_format.h"
#include "fitter/fit_json.h"

namespace mixlaw {

namespace {

int OnePerCore(int n) {
  return n > 0 ? n : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

// The proxy rounds and the target's sweeps as embedded sweeps on one store file.
class EmbeddedRunner : public RoundRunner, public TargetRunner {
 public:
  EmbeddedRunner(const StudySpec& study, const EmbeddedStudyOptions& options)
      : study_(study), options_(options) {}

  absl::StatusOr<std::optional<nlohmann::json>> Planned(int round) override {
    const std::filesystem::path path = SpecPath(absl::StrCat(study_.name, "-r", round));
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
    absl::StatusOr<EmbeddedSweepResult> result =
        Sweep(spec, absl::StrCat(study_.name, "-r", round), monitor);
    if (!result.ok()) return result.status();
    proxy_sweeps_.push_back(result->sweep.id());
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

  absl::StatusOr<TargetSweep> Train(const nlohmann::json& spec, int /*round*/) override {
    const std::string name = spec.value("name", std::string("target"));
    absl::StatusOr<EmbeddedSweepResult> result = Sweep(spec, name, nullptr);
    if (!result.ok()) return result.status();
    target_sweeps_.push_back(result->sweep.id());
    TargetSweep sweep;
    sweep.name = result->sweep.name();
    sweep.succeeded = static_cast<int>(CountOf(result->sweep, v1::RUN_STATE_SUCCEEDED));
    sweep.counts = CountsText(result->sweep);
    absl::StatusOr<ObservationSet> observations =
        SweepObservations(SweepData{result->sweep, result->runs, {}});
    if (!observations.ok()) return observations.status();
    sweep.observations = std::move(*observations);
    return sweep;
  }

  std::string DbPath() const { return (options_.dir / options_.db_name).string(); }
  const std::vector<int64_t>& proxy_sweeps() const { return proxy_sweeps_; }
  const std::vector<int64_t>& target_sweeps() const { return target_sweeps_; }
  bool failures() const { return failures_; }

 private:
  std::filesystem::path SpecPath(const std::string& name) const {
    return options_.dir / "rounds" / (name + ".json");
  }

  // Trains `spec` (kept as DIR/rounds/NAME.json: a sweep run again resumes from the same spec).
  absl::StatusOr<EmbeddedSweepResult> Sweep(const nlohmann::json& spec, const std::string& name,
                                            RoundMonitor* monitor) {
    const std::filesystem::path path = SpecPath(name);
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    if (!std::filesystem::exists(path, ec)) {
      absl::Status written = WriteFileAtomically(path.string(), spec.dump(2) + "\n");
      if (!written.ok()) return written;
    }
    EmbeddedSweepOptions options;
    options.spec_path = path.string();
    options.db_path = DbPath();
    options.workers = OnePerCore(options_.workers);
    options.lease_timeout_s = options_.lease_timeout_s;
    options.terminal = isatty(STDERR_FILENO) != 0;
    options.progress = options_.progress;
    if (monitor != nullptr) {
      options.monitor = [monitor](const std::vector<v1::Run>& runs, const PointsByRun& points) {
        return monitor->Check(runs, points);
      };
      options.monitor_interval_s = study_.early_stop.check_every_s;
    }
    absl::StatusOr<EmbeddedSweepResult> result = RunEmbeddedSweep(options);
    if (!result.ok()) return result.status();
    if (result->interrupted) {
      return absl::CancelledError(absl::StrCat("interrupted in sweep ", name,
                                               ": running again with the same --dir resumes it"));
    }
    failures_ = failures_ || HasFailures(result->sweep);
    if (options_.sweeps != nullptr) {
      *options_.sweeps << "  sweep " << result->sweep.id() << " (" << result->sweep.name()
                       << "): " << CountsText(result->sweep) << "\n";
    }
    return result;
  }

  const StudySpec& study_;
  const EmbeddedStudyOptions& options_;
  std::vector<int64_t> proxy_sweeps_, target_sweeps_;
  bool failures_ = false;
};

// Every proxy round's runs and curves, read back from the store as one sweep for the report.
absl::StatusOr<SweepData> ProxyData(const std::string& db, const std::vector<int64_t>& ids) {
  SweepData all;
  SweepSourceFlags source;
  source.db = db;
  for (size_t i = 0; i < ids.size(); ++i) {
    absl::StatusOr<SweepData> data = LoadSweep(source, ids[i], /*with_points=*/true);
    if (!data.ok()) return data.status();
    if (i == 0) all.sweep = data->sweep;
    all.runs.insert(all.runs.end(), data->runs.begin(), data->runs.end());
    all.points.merge(data->points);
  }
  return all;
}

}  // namespace

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

StudySummary StudySummaryOf(const StudySpec& spec, const StudyResult& result) {
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

absl::StatusOr<EmbeddedStudy> RunEmbeddedStudy(const StudySpec& spec,
                                               const EmbeddedStudyOptions& options) {
  EmbeddedRunner runner(spec, options);
  StudyOptions study_options;
  study_options.threads = OnePerCore(options.threads);
  study_options.seed = options.seed;
  study_options.progress = options.progress;
  absl::StatusOr<StudyResult> study = RunStudy(spec, runner, study_options);
  if (!study.ok()) return study.status();
  EmbeddedStudy out;
  out.study = std::move(*study);
  out.json = StudyToJson(spec, out.study);
  out.fit_path = (options.dir / "fit.json").string();
  absl::Status fit_written = WriteFitFile(out.study.fit, out.fit_path);
  if (!fit_written.ok()) return fit_written;

  if (!spec.target_check.sweep.is_null()) {
    absl::StatusOr<TargetPlan> plan =
        PlanTarget(out.study.observations, out.study.fit, spec.criterion, study_options.threads);
    if (!plan.ok()) return plan.status();
    if (options.on_plan) options.on_plan(out.study, *plan);
    absl::StatusOr<TargetStudy> target = RunTargetCheck(
        *std::move(plan), spec.target_check.sweep, spec.target_check.goals, runner, options.sweeps);
    if (!target.ok()) return target.status();
    out.target = std::move(*target);
    out.json["target_check"] = TargetCheckJson(*out.target);
  }
  out.proxy_sweeps = runner.proxy_sweeps();
  out.target_sweeps = runner.target_sweeps();
  out.failures = runner.failures();
  out.study_path = (options.dir / "study.json").string();
  absl::Status written = WriteFileAtomically(out.study_path, out.json.dump(2) + "\n");
  if (!written.ok()) return written;

  ReportInput report;
  absl::StatusOr<SweepData> proxies = ProxyData(runner.DbPath(), out.proxy_sweeps);
  if (!proxies.ok()) return proxies.status();
  report.sweep = SummaryOf(*proxies);
  report.fit = out.study.fit;
  report.options = spec.criterion;
  report.recommendation = out.study.recommendation;
  report.study = StudySummaryOf(spec, out.study);
  if (out.target.has_value()) {
    report.validation =
        ValidationOf(out.target->plan, out.target->check, out.target->runs, out.target->model);
  }
  absl::StatusOr<ReportFiles> files = WriteReport(report, (options.dir / "report").string());
  if (!files.ok()) return files.status();
  out.report = *std::move(files);
  return out;
}

}  // namespace mixlaw
