#include "orchestrator/export.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>

#include "common/json_fields.h"
#include "common/number_format.h"
#include "orchestrator/run_state.h"

namespace mixlaw {

namespace {

std::string CsvNumber(double v) { return std::isfinite(v) ? FormatNumber(v) : ""; }

}  // namespace

int64_t CountOf(const v1::Sweep& sweep, v1::RunState state) {
  for (const v1::StateCount& c : sweep.counts()) {
    if (c.state() == state) return c.count();
  }
  return 0;
}

bool HasFailures(const v1::Sweep& sweep) {
  return CountOf(sweep, v1::RUN_STATE_FAILED) + CountOf(sweep, v1::RUN_STATE_CANCELLED) > 0;
}

std::vector<std::pair<std::string, int64_t>> StateCounts(const v1::Sweep& sweep) {
  std::vector<std::pair<std::string, int64_t>> counts;
  for (v1::RunState state : kRunStateOrder) {
    int64_t n = CountOf(sweep, state);
    if (n > 0) counts.emplace_back(RunStateName(state), n);
  }
  return counts;
}

std::string CountsText(const v1::Sweep& sweep) { return FormatCounts(StateCounts(sweep)); }

nlohmann::json SweepJson(const v1::Sweep& sweep) {
  nlohmann::json counts = nlohmann::json::object();
  for (v1::RunState state : kRunStateOrder) counts[RunStateName(state)] = CountOf(sweep, state);
  nlohmann::json j = {{"id", sweep.id()},
                      {"name", sweep.name()},
                      {"state", SweepStateName(sweep.state())},
                      {"created_unix_ms", sweep.created_unix_ms()},
                      {"total_runs", sweep.total_runs()},
                      {"progress", sweep.progress()},
                      {"counts", counts}};
  if (sweep.target_params() > 0) j["target_params"] = sweep.target_params();
  return j;
}

nlohmann::json RunJson(const v1::Run& run) {
  nlohmann::json final_loss = nlohmann::json::object();
  for (const auto& [split, loss] : run.final_loss()) final_loss[split] = JsonNumber(loss);
  nlohmann::json artifacts = nlohmann::json::object();
  for (const auto& [name, path] : run.artifacts()) artifacts[name] = path;
  return {
      {"id", run.id()},
      {"sweep_id", run.sweep_id()},
      {"name", run.name()},
      {"stage", run.stage()},
      {"model", run.model()},
      {"params", run.params()},
      {"almr", run.almr()},
      {"peak_lr", run.peak_lr()},
      {"seed", run.seed()},
      {"tokens", run.tokens()},
      {"state", RunStateName(run.state())},
      {"attempts", run.attempts()},
      {"max_attempts", run.max_attempts()},
      {"depends_on", run.depends_on() == 0 ? nlohmann::json() : nlohmann::json(run.depends_on())},
      {"worker", run.worker()},
      {"step", run.step()},
      {"total_steps", run.total_steps()},
      {"failure_reason", run.failure_reason()},
      {"final_loss", final_loss},
      {"artifacts", artifacts}};
}

nlohmann::json PointJson(const v1::Run& run, const v1::MetricPoint& p) {
  return {{"run_id", run.id()},
          {"run", run.name()},
          {"split", p.split()},
          {"step", p.step()},
          {"loss", JsonNumber(p.loss())},
          {"tokens", p.tokens()},
          {"lr", p.lr()}};
}

std::vector<std::string> EvalSplits(const std::vector<v1::Run>& runs) {
  std::set<std::string> splits;
  for (const v1::Run& r : runs) {
    for (const auto& [split, loss] : r.final_loss()) splits.insert(split);
  }
  return {splits.begin(), splits.end()};
}

std::string CsvField(const std::string& value) {
  if (value.find_first_of(",\"\r\n") == std::string::npos) return value;
  std::string quoted = "\"";
  for (char c : value) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

void WriteRunsCsv(const std::vector<v1::Run>& runs, std::ostream& out) {
  std::vector<std::string> splits = EvalSplits(runs);
  out << "run_id,sweep_id,name,stage,model,params,almr,peak_lr,seed,tokens,state,attempts,"
         "failure_reason";
  for (const std::string& s : splits) out << "," << CsvField("final_" + s);
  out << "\n";
  for (const v1::Run& r : runs) {
    out << r.id() << "," << r.sweep_id() << "," << CsvField(r.name()) << "," << r.stage() << ","
        << CsvField(r.model()) << "," << FormatNumber(r.params()) << "," << FormatNumber(r.almr())
        << "," << FormatNumber(r.peak_lr()) << "," << r.seed() << "," << r.tokens() << ","
        << RunStateName(r.state()) << "," << r.attempts() << "," << CsvField(r.failure_reason());
    for (const std::string& s : splits) {
      auto it = r.final_loss().find(s);
      out << "," << (it == r.final_loss().end() ? "" : CsvNumber(it->second));
    }
    out << "\n";
  }
}

void WritePointsCsvHeader(std::ostream& out) { out << "run_id,run,split,step,loss,tokens,lr\n"; }

void WritePointsCsv(const v1::Run& run, const std::vector<v1::MetricPoint>& points,
                    std::ostream& out) {
  std::string prefix = std::to_string(run.id()) + "," + CsvField(run.name()) + ",";
  for (const v1::MetricPoint& p : points) {
    out << prefix << CsvField(p.split()) << "," << p.step() << "," << CsvNumber(p.loss()) << ","
        << p.tokens() << "," << FormatNumber(p.lr()) << "\n";
  }
}

}  // namespace mixlaw
