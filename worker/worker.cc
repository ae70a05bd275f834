#include "worker/worker.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/child_process.h"
#include "common/file_io.h"
#include "common/log.h"
#include "common/time.h"
#include "nlohmann/json.hpp"
#include "trainer/protocol.h"
#include "worker/trainer_command.h"

namespace mixlaw {

std::string HostName() {
  char name[256] = {0};
  if (gethostname(name, sizeof(name) - 1) != 0) return "unknown";
  return name;
}

namespace {

// `initial` doubled `doublings` times, never above `cap` (which is at least `initial`).
int64_t CappedDoubling(int64_t initial, int64_t cap, int doublings) {
  int64_t value = initial;
  for (int i = 0; i < doublings && value < cap; ++i) value = value > cap / 2 ? cap : value * 2;
  return std::min(value, cap);
}

// Exponential backoff with jitter, capped.
class Backoff {
 public:
  int64_t Next() {
    int64_t base = CappedDoubling(initial_ms_, max_ms_, attempt_++);
    std::uniform_int_distribution<int64_t> jitter(base / 2, base);
    return jitter(rng_);
  }
  void Reset() { attempt_ = 0; }

 private:
  int64_t initial_ms_ = 200;
  int64_t max_ms_ = 5000;
  int attempt_ = 0;
  std::mt19937_64 rng_{std::random_device{}()};
};

// How long a stopping worker still tries to report the end of its run.
constexpr int64_t kReportAfterStopMs = 10000;

bool LeaseLost(const grpc::Status& s) {
  return s.error_code() == grpc::StatusCode::FAILED_PRECONDITION ||
         s.error_code() == grpc::StatusCode::NOT_FOUND;
}

bool Fatal(const grpc::Status& s) {
  return s.error_code() == grpc::StatusCode::UNAUTHENTICATED ||
         s.error_code() == grpc::StatusCode::PERMISSION_DENIED;
}

}  // namespace

int64_t Worker::FailureBackoffMs(const WorkerOptions& options, int failures) {
  if (failures <= 0 || options.failure_backoff_ms <= 0) return 0;
  return CappedDoubling(options.failure_backoff_ms,
                        std::max(options.failure_backoff_max_ms, options.failure_backoff_ms),
                        failures - 1);
}

#define WLOG(level) \
  MIXLAW_LOG(level) << options_.log_name << (options_.log_name.empty() ? "" : ": ")

Worker::Worker(WorkerOptions options) : options_(std::move(options)) {
  if (options_.hostname.empty()) options_.hostname = HostName();
}

std::unique_ptr<grpc::ClientContext> Worker::Context() const {
  return MakeContext(options_.connection, std::chrono::milliseconds(options_.rpc_timeout_ms));
}

bool Worker::SleepUnlessStopping(int64_t ms) {
  int64_t deadline = MonotonicMillis() + ms;
  while (!stopping()) {
    int64_t left = deadline - MonotonicMillis();
    if (left <= 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min<int64_t>(left, 100)));
  }
  return false;
}

bool Worker::Register() {
  Backoff backoff;
  while (!stopping()) {
    v1::RegisterWorkerRequest request;
    request.set_hostname(options_.hostname);
    for (const std::string& d : options_.devices) request.add_devices(d);
    v1::RegisterWorkerResponse response;
    grpc::Status s = stub_->RegisterWorker(Context().get(), request, &response);
    if (s.ok()) {
      worker_id_ = response.worker_id();
      heartbeat_interval_ms_ = std::max<int64_t>(50, response.heartbeat_interval_ms());
      if (options_.log_name.empty()) options_.log_name = "worker " + worker_id_;
      WLOG(Info) << "registered with " << options_.connection.address << " as " << worker_id_;
      return true;
    }
    if (Fatal(s)) {
      WLOG(Error) << "registration refused: " << DescribeRpcError(s);
      return false;
    }
    WLOG(Warning) << "orchestrator " << options_.connection.address
                  << " unreachable, retrying: " << DescribeRpcError(s);
    if (!SleepUnlessStopping(backoff.Next())) break;
  }
  return false;
}

int Worker::Run() {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = MakeChannel(options_.connection);
  if (!channel.ok()) {
    WLOG(Error) << channel.status().message();
    return 1;
  }
  channel_ = *channel;
  stub_ = v1::WorkerService::NewStub(channel_);
  if (!Register()) return stopping() ? 0 : 1;
  Backoff backoff;
  while (!stopping()) {
    v1::LeaseRunRequest request;
    request.set_worker_id(worker_id_);
    for (const std::string& d : options_.devices) request.add_devices(d);
    v1::LeaseRunResponse response;
    grpc::Status s = stub_->LeaseRun(Context().get(), request, &response);
    if (!s.ok()) {
      if (Fatal(s) || s.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
        WLOG(Error) << "lease refused: " << DescribeRpcError(s);
        return 1;
      }
      if (s.error_code() == grpc::StatusCode::NOT_FOUND) {
        // The orchestrator does not know this worker (its store was replaced): register anew.
        WLOG(Warning) << "lease refused: " << DescribeRpcError(s) << "; registering again";
        if (!Register()) return stopping() ? 0 : 1;
        continue;
      }
      WLOG(Warning) << "cannot lease: " << DescribeRpcError(s);
      SleepUnlessStopping(backoff.Next());
      continue;
    }
    backoff.Reset();
    if (!response.has_lease()) {
      if (options_.exit_when_idle && !response.sweeps_active()) {
        WLOG(Info) << "no active sweep: exiting";
        return 0;
      }
      SleepUnlessStopping(options_.idle_poll_ms);
      continue;
    }
    Outcome outcome = RunLease(response.lease());
    if (outcome == Outcome::kReported) ++runs_finished_;
    if (int64_t wait = FailureBackoffMs(options_, failures_in_a_row_); wait > 0) {
      WLOG(Warning) << failures_in_a_row_ << " run(s) in a row failed on this worker; waiting "
                    << static_cast<double>(wait) / 1000.0 << " s before the next lease";
      SleepUnlessStopping(wait);
    }
  }
  WLOG(Info) << "stopped";
  return 0;
}

void Worker::HandleLine(const std::string& line) {
  TrainerLine parsed = ParseTrainerLine(line);
  if (auto* m = std::get_if<MetricLine>(&parsed)) {
    v1::MetricPoint p;
    p.set_split(m->split);
    p.set_step(m->step);
    p.set_loss(m->loss);
    p.set_tokens(m->tokens);
    p.set_lr(m->lr);
    pending_.push_back(std::move(p));
    step_ = std::max(step_, m->step);
  } else if (auto* t = std::get_if<TotalStepsLine>(&parsed)) {
    total_steps_ = t->total_steps;
  } else if (auto* a = std::get_if<ArtifactLine>(&parsed)) {
    artifacts_[a->name] = a->path;
    artifacts_dirty_ = true;
  } else if (auto* o = std::get_if<OtherLine>(&parsed); o != nullptr && !o->error.empty()) {
    WLOG(Warning) << "trainer line ignored (" << o->error << "): " << line.substr(0, 200);
  }
}

grpc::Status Worker::SendHeartbeat(const v1::Lease& lease, bool* cancel) {
  v1::HeartbeatRequest request;
  request.set_worker_id(worker_id_);
  request.set_run_id(lease.run_id());
  request.set_lease_id(lease.lease_id());
  request.set_step(step_);
  request.set_total_steps(total_steps_);
  size_t batch = std::min<size_t>(pending_.size(), static_cast<size_t>(options_.max_batch_points));
  for (size_t i = 0; i < batch; ++i) *request.add_points() = pending_[i];
  if (artifacts_dirty_) {
    for (const auto& [name, path] : artifacts_) (*request.mutable_artifacts())[name] = path;
  }
  v1::HeartbeatResponse response;
  grpc::Status s = stub_->Heartbeat(Context().get(), request, &response);
  if (s.ok()) {
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(batch));
    artifacts_dirty_ = false;
    *cancel = response.cancel();
  }
  return s;
}

Worker::Outcome Worker::ReportEnd(const v1::Lease& lease, v1::FailureKind kind,
                                  const std::string& reason) {
  Backoff backoff;
  int64_t give_up_at = -1;
  while (true) {
    if (stopping() && give_up_at < 0) give_up_at = MonotonicMillis() + kReportAfterStopMs;
    grpc::Status s;
    // Points beyond one batch go in heartbeats first, so that the last call stays small.
    if (pending_.size() > static_cast<size_t>(options_.max_batch_points)) {
      bool cancel = false;
      s = SendHeartbeat(lease, &cancel);
      if (s.ok()) continue;
    } else {
      google::protobuf::RepeatedPtrField<v1::MetricPoint> points;
      for (const v1::MetricPoint& p : pending_) *points.Add() = p;
      if (kind == v1::FAILURE_KIND_UNSPECIFIED) {
        v1::CompleteRunRequest request;
        request.set_worker_id(worker_id_);
        request.set_run_id(lease.run_id());
        request.set_lease_id(lease.lease_id());
        *request.mutable_points() = points;
        for (const auto& [name, path] : artifacts_) (*request.mutable_artifacts())[name] = path;
        v1::CompleteRunResponse response;
        s = stub_->CompleteRun(Context().get(), request, &response);
      } else {
        v1::FailRunRequest request;
        request.set_worker_id(worker_id_);
        request.set_run_id(lease.run_id());
        request.set_lease_id(lease.lease_id());
        request.set_kind(kind);
        request.set_reason(reason);
        *request.mutable_points() = points;
        v1::FailRunResponse response;
        s = stub_->FailRun(Context().get(), request, &response);
      }
      if (s.ok()) {
        pending_.clear();
        if (kind == v1::FAILURE_KIND_ERROR) {
          ++failures_in_a_row_;
        } else if (kind == v1::FAILURE_KIND_UNSPECIFIED || kind == v1::FAILURE_KIND_DIVERGED) {
          failures_in_a_row_ = 0;  // the trainer ran: this node works
        }
        return Outcome::kReported;
      }
    }
    if (LeaseLost(s) || Fatal(s)) {
      WLOG(Warning) << "run " << lease.run_id()
                    << ": cannot report its end: " << DescribeRpcError(s);
      return Outcome::kLeaseLost;
    }
    if (give_up_at >= 0 && MonotonicMillis() > give_up_at) {
      WLOG(Error) << "run " << lease.run_id() << ": stopping before its end was reported ("
                  << pending_.size() << " points unsent): " << DescribeRpcError(s);
      return Outcome::kStopped;
    }
    WLOG(Warning) << "run " << lease.run_id() << ": orchestrator unreachable, " << pending_.size()
                  << " points buffered: " << DescribeRpcError(s);
    std::this_thread::sleep_for(std::chrono::milliseconds(backoff.Next()));
  }
}

Worker::Outcome Worker::RunLease(const v1::Lease& lease) {
  pending_.clear();
  artifacts_.clear();
  artifacts_dirty_ = false;
  step_ = 0;
  total_steps_ = 0;
  nlohmann::json config = nlohmann::json::parse(lease.run_config_json(), nullptr, false);
  auto fail_now = [&](const std::string& why) {
    WLOG(Error) << "run " << lease.run_id() << ": " << why;
    return ReportEnd(lease, v1::FAILURE_KIND_ERROR, why);
  };
  if (!config.is_object()) return fail_now("the lease's run config is not a JSON object");
  std::string output_dir = config.value("output_dir", "");
  if (output_dir.empty()) return fail_now("the run config has no output_dir");
  std::error_code ec;
  std::filesystem::create_directories(output_dir, ec);
  if (ec) return fail_now(absl::StrCat("cannot create ", output_dir, ": ", ec.message()));
  std::string config_path = output_dir + "/RUN.json";
  if (absl::Status written = WriteFileAtomically(config_path, config.dump(2) + "\n");
      !written.ok()) {
    return fail_now(std::string(written.message()));
  }
  absl::StatusOr<std::vector<std::string>> argv =
      TrainerArgv(lease.trainer_kind(), lease.command(), config, config_path, options_.self_exe);
  if (!argv.ok()) return fail_now(std::string(argv.status().message()));
  SpawnOptions spawn;
  spawn.argv = *argv;
  spawn.cwd = output_dir;
  spawn.env = {absl::StrCat("MIXLAW_RUN_ID=", lease.run_id())};
  // Killed without warning, the worker still takes its trainer's process group with it.
  spawn.stop_group_with_parent_grace_ms = static_cast<int>(options_.terminate_grace_ms);
  if (options_.trainer_threads > 0) {
    spawn.env.push_back(absl::StrCat("OMP_NUM_THREADS=", options_.trainer_threads));
  }
  if (!options_.cuda_visible_devices.empty() &&
      config.value("device", "cpu").rfind("cuda", 0) == 0) {
    spawn.env.push_back(absl::StrCat("CUDA_VISIBLE_DEVICES=", options_.cuda_visible_devices));
  }
  absl::StatusOr<std::unique_ptr<ChildProcess>> child = ChildProcess::Spawn(spawn);
  if (!child.ok()) return fail_now(std::string(child.status().message()));
  WLOG(Debug) << "run " << lease.run_id() << " " << lease.run_name() << ": started "
              << lease.trainer_kind() << " trainer (pid " << (*child)->pid() << ")";

  Backoff backoff;
  int64_t next_heartbeat = MonotonicMillis() + heartbeat_interval_ms_;
  std::vector<std::string> lines;
  while (true) {
    int64_t wait = std::clamp<int64_t>(next_heartbeat - MonotonicMillis(), 0, 100);
    lines.clear();
    bool open = (*child)->Poll(static_cast<int>(wait), &lines);
    for (const std::string& line : lines) HandleLine(line);
    if (stopping()) {
      WLOG(Info) << "run " << lease.run_id() << ": stopping its trainer and handing it back";
      lines.clear();
      (*child)->Terminate(static_cast<int>(options_.terminate_grace_ms), &lines);
      for (const std::string& line : lines) HandleLine(line);
      ReportEnd(lease, v1::FAILURE_KIND_RELEASED, "worker " + worker_id_ + " stopped");
      return Outcome::kStopped;
    }
    if (!open || (*child)->TryWait().has_value()) break;
    bool batch_full = pending_.size() >= static_cast<size_t>(options_.max_batch_points);
    if (MonotonicMillis() < next_heartbeat && !batch_full) continue;
    bool cancel = false;
    grpc::Status s = SendHeartbeat(lease, &cancel);
    if (s.ok()) {
      backoff.Reset();
      next_heartbeat = MonotonicMillis() + heartbeat_interval_ms_;
      if (cancel) {
        WLOG(Info) << "run " << lease.run_id()
                   << ": cancelled or stopped early; stopping its trainer";
        lines.clear();
        (*child)->Terminate(static_cast<int>(options_.terminate_grace_ms), &lines);
        for (const std::string& line : lines) HandleLine(line);
        return ReportEnd(lease, v1::FAILURE_KIND_CANCELLED, "cancelled");
      }
    } else if (LeaseLost(s) || Fatal(s)) {
      WLOG(Warning) << "run " << lease.run_id() << ": " << DescribeRpcError(s)
                    << "; stopping its trainer";
      lines.clear();
      (*child)->Terminate(static_cast<int>(options_.terminate_grace_ms), &lines);
      return Outcome::kLeaseLost;
    } else {
      int64_t delay = backoff.Next();
      WLOG(Warning) << "run " << lease.run_id() << ": heartbeat failed (" << DescribeRpcError(s)
                    << "); trainer continues, " << pending_.size() << " points buffered";
      next_heartbeat = MonotonicMillis() + delay;
    }
  }
  lines.clear();
  ExitStatus exit = (*child)->Wait(&lines);
  for (const std::string& line : lines) HandleLine(line);
  std::string tail = (*child)->stderr_tail();
  if (exit.exited && exit.code == kTrainerExitSuccess) {
    WLOG(Debug) << "run " << lease.run_id() << ": trainer succeeded";
    return ReportEnd(lease, v1::FAILURE_KIND_UNSPECIFIED, "");
  }
  v1::FailureKind kind = exit.exited && exit.code == kTrainerExitDiverged
                             ? v1::FAILURE_KIND_DIVERGED
                             : v1::FAILURE_KIND_ERROR;
  std::string reason = absl::StrCat("trainer ", exit.Describe(), tail.empty() ? "" : ": ", tail);
  WLOG(Warning) << "run " << lease.run_id() << ": trainer " << exit.Describe()
                << (kind == v1::FAILURE_KIND_DIVERGED ? " (diverged)" : "");
  return ReportEnd(lease, kind, reason);
}

}  // namespace mixlaw
