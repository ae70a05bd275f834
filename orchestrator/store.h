// The run store: the one place that knows the SQL schema. A SQLite file in WAL mode that only the
// orchestrator opens (an exclusive lock keeps a second orchestrator out). Every method is one
// transaction, so a crash leaves either all of a call's changes or none. Reads of sweeps, runs and
// points go through a second connection with a lock of its own: WAL lets it read what is
// committed while the writer writes, so readers (the dashboard, exports) never hold up a lease.
#ifndef MIXLAW_ORCHESTRATOR_STORE_H_
#define MIXLAW_ORCHESTRATOR_STORE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "common/mutex.h"
#include "mixlaw/v1/mixlaw.pb.h"
#include "orchestrator/metrics.h"
#include "orchestrator/run_state.h"
#include "orchestrator/sqlite.h"
#include "orchestrator/sweep_spec.h"

namespace mixlaw {

inline constexpr int kStoreSchemaVersion = 2;

class Store {
 public:
  // Opens or creates the store at `path`. Refuses a file that is not a SQLite database, one
  // that fails its integrity check, one written by a newer mixlaw, or one in use by another
  // process.
  static absl::StatusOr<std::unique_ptr<Store>> Open(const std::string& path);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  struct SubmitResult {
    int64_t sweep_id = 0;
    int64_t runs = 0;
    bool existing = false;  // an identical sweep was already stored and is returned instead
  };
  // Stores a sweep and its runs. With `resume_existing`, a sweep with the same name and the same
  // canonical spec is returned instead of creating another.
  absl::StatusOr<SubmitResult> CreateSweep(const SweepSpec& spec,
                                           const std::vector<PlannedRun>& runs,
                                           bool resume_existing, int64_t now_ms);

  absl::StatusOr<v1::Sweep> GetSweep(int64_t sweep_id);
  absl::StatusOr<std::vector<v1::Sweep>> ListSweeps();
  // The sweep's runs in id order, each with its final loss on each evaluation split unless
  // `with_final_loss` is false (the dashboard reads the latest points instead).
  absl::StatusOr<std::vector<v1::Run>> ListRuns(int64_t sweep_id, bool with_final_loss = true);
  // Every metric point of a run, ordered by split and step.
  absl::StatusOr<std::vector<v1::MetricPoint>> RunPoints(int64_t run_id);
  // The latest point of each run of the sweep on each split: run id -> split -> point.
  absl::StatusOr<std::map<int64_t, std::map<std::string, v1::MetricPoint>>> LatestPoints(
      int64_t sweep_id);
  // Each model size of the sweep (params) with its runs that have not ended. NotFound for an
  // unknown sweep.
  absl::StatusOr<std::map<double, int64_t>> OpenRunsBySize(int64_t sweep_id);
  // Cancels pending runs now and asks the workers of leased ones to stop. Returns runs affected.
  absl::StatusOr<int64_t> CancelSweep(int64_t sweep_id, int64_t now_ms);
  // Ends run `run_id` early with `reason`, keeping its points: a leasable run is stopped now, a
  // held one is marked so that its worker's next heartbeat stops the trainer, after which the run
  // is stopped (a trainer that completes first leaves it succeeded). A run that already ended is
  // left alone. Returns the run's state after the call; NotFound for an unknown run.
  absl::StatusOr<v1::RunState> StopRun(int64_t run_id, const std::string& reason, int64_t now_ms);
  // True when the sweep is over: no run waits or runs and the sweep is not active.
  absl::StatusOr<bool> SweepEnded(int64_t sweep_id);

  // Records a worker; returns its id ("w12").
  absl::StatusOr<std::string> RegisterWorker(const std::string& hostname,
                                             const std::vector<std::string>& devices,
                                             int64_t now_ms);
  // Claims the next leasable run for the worker in one atomic update: no two workers ever get
  // the same run. nullopt when nothing is leasable now. A worker id the store did not give is
  // InvalidArgument, one not registered NotFound; neither claims anything.
  absl::StatusOr<std::optional<v1::Lease>> LeaseNextRun(const std::string& worker_id,
                                                        const std::vector<std::string>& devices,
                                                        int64_t now_ms, int64_t lease_timeout_ms);
  absl::StatusOr<bool> AnySweepActive();

  struct HeartbeatResult {
    bool cancel = false;
    int64_t stored_points = 0;
  };
  // Extends the lease and stores the points. FailedPrecondition when the lease is not held.
  absl::StatusOr<HeartbeatResult> Heartbeat(const v1::HeartbeatRequest& request, int64_t now_ms,
                                            int64_t lease_timeout_ms);
  // Idempotent: completing a run already completed under the same lease succeeds again.
  absl::Status CompleteRun(const v1::CompleteRunRequest& request, int64_t now_ms);
  absl::Status FailRun(const v1::FailRunRequest& request, int64_t now_ms);

  // Takes expired leases away: each run goes back to be leased again (state stale) or, after its
  // last attempt, fails with the reason. Returns the number of leases that expired.
  absl::StatusOr<int> ExpireLeases(int64_t now_ms);
  // Pushes every lease's expiry to at least now + grace_ms (after a restart, so that workers
  // that kept training can report again before their leases are judged).
  absl::Status ExtendLeases(int64_t now_ms, int64_t grace_ms);
  // Hands every lease back at once (when the process that held the workers is gone).
  absl::Status ReleaseAllLeases(int64_t now_ms);

  // Records each write transaction's time in `histogram` (outliving the store), or none (null).
  void SetTransactionHistogram(LatencyHistogram* histogram);

  // Counts state changes; watchers compare it to see whether anything happened.
  uint64_t version() const;
  // Blocks until version() differs from `seen` or timeout_ms passes; returns version().
  uint64_t WaitForChange(uint64_t seen, int64_t timeout_ms);

 private:
  Store(std::unique_ptr<Database> db, int lock_fd);
  absl::Status Migrate() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // The id of split `name`, added when new; cached (split_ids_).
  absl::StatusOr<int64_t> SplitId(const std::string& name) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  absl::StatusOr<int64_t> StorePoints(
      int64_t run_id, const google::protobuf::RepeatedPtrField<v1::MetricPoint>& points)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  absl::Status MergeArtifacts(int64_t run_id,
                              const google::protobuf::Map<std::string, std::string>& artifacts)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  absl::Status FailDependents(int64_t run_id, const std::string& reason, int64_t now_ms)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  absl::Status UpdateSweepState(int64_t sweep_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // The sweep of `row` (id, name, state, created_ms, spec_json, target_params) with its counts,
  // read through `db`, whose lock the caller holds.
  static absl::StatusOr<v1::Sweep> SweepSummary(Database& db, Statement* row);
  // Checks that `lease_id` holds `run_id` for `worker_id`; returns the run's sweep id.
  absl::StatusOr<int64_t> CheckLease(int64_t run_id, int64_t lease_id, const std::string& worker_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Counts a change and wakes WaitForChange's waiters (they run once the lock is released).
  void Changed() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  // Every member below is read and written under mutex_ (clang's -Wthread-safety checks it:
  // tests/CMakeLists.txt, thread_safety_check).
  mutable Mutex mutex_;
  uint64_t version_ ABSL_GUARDED_BY(mutex_) = 0;
  std::unique_ptr<Database> db_ ABSL_GUARDED_BY(mutex_);
  std::map<std::string, int64_t> split_ids_ ABSL_GUARDED_BY(mutex_);
  // The read connection: GetSweep, ListSweeps, ListRuns, RunPoints, LatestPoints and
  // OpenRunsBySize.
  mutable Mutex read_mutex_;
  std::unique_ptr<Database> reader_ ABSL_GUARDED_BY(read_mutex_);
  int lock_fd_;
};

}  // namespace mixlaw

#endif  // MIXLAW_ORCHESTRATOR_STORE_H_
