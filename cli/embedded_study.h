// A study on one machine (`mixlaw study run`, `mixlaw demo`): every round, and the target check's
// sweeps, trained as embedded sweeps on one store file, each sweep's spec kept in DIR/rounds/ so
// that a study run again picks up where it stopped; then DIR/study.json, DIR/fit.json and
// DIR/report.
#ifndef MIXLAW_CLI_EMBEDDED_STUDY_H_
#define MIXLAW_CLI_EMBEDDED_STUDY_H_

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "report/report.h"
#include "study/study.h"
#include "study/target.h"

namespace mixlaw {

struct EmbeddedStudyOptions {
  std::filesystem::path dir;
  std::string db_name = "study.db";
  int workers = 0;  // concurrent trainers; 0: one per core
  int threads = 0;  // threads for the fits; 0: one per core
  uint64_t seed = 1;
  double lease_timeout_s = 60.0;
  std::ostream* progress = nullptr;  // progress bars and the rounds' lines
  std::ostream* sweeps = nullptr;    // a line as each sweep ends: "sweep 1 (demo-r1): 90 succeeded"
  // Called after the proxy rounds, before the target trains (the demo prints the plan).
  std::function<void(const StudyResult&, const TargetPlan&)> on_plan;
};

struct EmbeddedStudy {
  StudyResult study;
  std::optional<TargetStudy> target;                 // with a target check in the spec
  std::vector<int64_t> proxy_sweeps, target_sweeps;  // the store's sweep ids
  nlohmann::json json;                               // what DIR/study.json holds
  std::string study_path, fit_path;
  ReportFiles report;
  bool failures = false;  // some run failed (the study went on without it)
};

// Runs the study to its end and writes DIR/study.json (StudyToJson, with "target_check" when the
// spec has one), DIR/fit.json and DIR/report. Cancelled when interrupted (running it again with
// the same DIR resumes); FailedPrecondition when a target sweep has too few runs to compare.
absl::StatusOr<EmbeddedStudy> RunEmbeddedStudy(const StudySpec& spec,
                                               const EmbeddedStudyOptions& options);

// The rounds as a table: runs, compute, the LR at the target with its interval, the ALMR.
void PrintRounds(const StudyResult& result, std::ostream& out);

// The study as the report shows it.
StudySummary StudySummaryOf(const StudySpec& spec, const StudyResult& result);

}  // namespace mixlaw

#endif  // MIXLAW_CLI_EMBEDDED_STUDY_H_
