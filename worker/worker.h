// The worker: registers, leases runs, runs each run's trainer as a child process, streams its
// metric lines to the orchestrator in batched heartbeats, and reports how it ended. While the
// orchestrator is unreachable the trainer keeps going and the points wait in memory.
#ifndef MIXLAW_WORKER_WORKER_H_
#define MIXLAW_WORKER_WORKER_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "mixlaw/v1/mixlaw.grpc.pb.h"
#include "orchestrator/client.h"

namespace mixlaw {

struct WorkerOptions {
  ConnectionOptions connection;
  std::string hostname;  // default: this machine's host name
  std::vector<std::string> devices = {"cpu"};
  // CUDA_VISIBLE_DEVICES for the trainers of cuda runs (a GPU's index: worker/device_slots.h);
  // empty: they inherit the worker's.
  std::string cuda_visible_devices;
  std::string self_exe;                // the mixlaw binary (runs builtin and synthetic trainers)
  bool exit_when_idle = false;         // exit once no sweep is active
  int64_t idle_poll_ms = 500;          // between lease attempts when there is nothing to do
  int64_t max_batch_points = 10000;    // points per heartbeat at most
  int64_t terminate_grace_ms = 10000;  // SIGTERM to SIGKILL, when stopping a trainer
  int64_t rpc_timeout_ms = 10000;
  int trainer_threads = 0;  // OMP_NUM_THREADS for trainers; 0: leave it
  // After a run fails here (its trainer could not start, or ended in an error), the wait before
  // the next lease: this, doubled for each further failure in a row, up to the maximum (or this,
  // if longer); reset by a run that succeeds or diverges. A node that cannot run trainers then
  // leaves the sweep's runs (and their attempts) to the others. 0: no wait.
  int64_t failure_backoff_ms = 2000;
  int64_t failure_backoff_max_ms = 120000;
  std::atomic<bool>* stop = nullptr;  // set to stop: the trainer is stopped, the run handed back
  std::string log_name;               // prefix for this worker's log lines
};

class Worker {
 public:
  explicit Worker(WorkerOptions options);

  // Works until stopped, or until idle with exit_when_idle. Returns a process exit code:
  // 0 after a clean stop or idle exit, 1 when it could not start (bad token, say).
  int Run();

  // Runs whose end (succeeded, failed, diverged or cancelled) this worker reported and the
  // orchestrator acknowledged, so far.
  int64_t runs_finished() const { return runs_finished_; }

  // The wait before the next lease after `failures` failed runs in a row (0 for none).
  static int64_t FailureBackoffMs(const WorkerOptions& options, int failures);

 private:
  enum class Outcome { kReported, kLeaseLost, kStopped };
  bool stopping() const { return options_.stop != nullptr && options_.stop->load(); }
  // Sleeps up to ms, waking early when stopping. Returns false if stopping.
  bool SleepUnlessStopping(int64_t ms);
  bool Register();
  Outcome RunLease(const v1::Lease& lease);
  // Sends up to max_batch_points pending points; on a lost lease returns FAILED_PRECONDITION.
  grpc::Status SendHeartbeat(const v1::Lease& lease, bool* cancel);
  // Reports the end of a run, retrying until the orchestrator answers, or until
  // 10 s after a stop was asked for (kReportAfterStopMs).
  Outcome ReportEnd(const v1::Lease& lease, v1::FailureKind kind, const std::string& reason);
  void HandleLine(const std::string& line);
  std::unique_ptr<grpc::ClientContext> Context() const;

  WorkerOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::WorkerService::Stub> stub_;
  std::string worker_id_;
  int64_t heartbeat_interval_ms_ = 2000;
  int64_t runs_finished_ = 0;
  int failures_in_a_row_ = 0;  // runs that ended in an error here, since the last that did not
  // The current run's state.
  std::deque<v1::MetricPoint> pending_;
  std::map<std::string, std::string> artifacts_;
  bool artifacts_dirty_ = false;
  int64_t step_ = 0;
  int64_t total_steps_ = 0;
};

// The host name of this machine.
std::string HostName();

}  // namespace mixlaw

#endif  // MIXLAW_WORKER_WORKER_H_
