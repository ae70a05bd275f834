// The worker side of the store: leases, heartbeats, completions and expiry.
#include <cmath>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"
#include "orchestrator/store.h"
#include "orchestrator/store_internal.h"

namespace mixlaw {

using namespace store_internal;  // NOLINT: the store's own helpers
using v1::RunState;

absl::StatusOr<std::string> Store::RegisterWorker(const std::string& hostname,
                                                  const std::vector<std::string>& devices,
                                                  int64_t now_ms) {
  MutexLock lock(&mutex_);
  MIXLAW_ASSIGN_OR_RETURN(Statement * s,
                          db_->Prepare("INSERT INTO workers (hostname, devices, registered_ms, "
                                       "last_seen_ms) VALUES (?1, ?2, ?3, ?3)"));
  s->Bind(1, hostname).Bind(2, absl::StrJoin(devices, ",")).Bind(3, now_ms);
  MIXLAW_RETURN_IF_ERROR(s->Run());
  return absl::StrCat("w", sqlite3_last_insert_rowid(db_->handle()));
}

absl::StatusOr<std::optional<v1::Lease>> Store::LeaseNextRun(
    const std::string& worker_id, const std::vector<std::string>& devices, int64_t now_ms,
    int64_t lease_timeout_ms) {
  MIXLAW_ASSIGN_OR_RETURN(const int64_t worker_row, WorkerRow(worker_id));
  MutexLock lock(&mutex_);
  bool has_cpu = false, has_cuda = false;
  for (const std::string& d : devices) {
    has_cpu = has_cpu || DeviceKind(d) == "cpu";
    has_cuda = has_cuda || DeviceKind(d) == "cuda";
  }
  Transaction tx(db_.get());
  MIXLAW_RETURN_IF_ERROR(tx.Begin());
  // The worker's row is touched first: no row, no lease (the transaction rolls back unless a run
  // is claimed, so an idle poll leaves last_seen_ms as it was).
  MIXLAW_ASSIGN_OR_RETURN(Statement * seen,
                          db_->Prepare("UPDATE workers SET last_seen_ms = ?2 WHERE id = ?1"));
  seen->Bind(1, worker_row).Bind(2, now_ms);
  MIXLAW_RETURN_IF_ERROR(seen->Run());
  if (db_->changes() == 0) {
    return absl::NotFoundError(absl::StrCat(
        "worker ", worker_id, " is not registered with this orchestrator: register again"));
  }
  // One statement claims the run: the choice and the claim cannot be separated. Stale runs
  // (retries) go first. Each state is its own query so that the (state, sweep_id, id) index
  // yields candidates in order, with no sort of every waiting run.
  MIXLAW_ASSIGN_OR_RETURN(
      Statement * claim,
      db_->Prepare(absl::StrCat(
          "UPDATE runs SET state = ", kRunLeased,
          ", worker_id = ?1, lease_seq = lease_seq + 1, attempts = attempts + 1, "
          "lease_expires_ms = ?2, updated_ms = ?3, cancel_requested = 0 "
          "WHERE id = (SELECT r.id FROM runs r JOIN sweeps s ON s.id = r.sweep_id "
          "WHERE r.state = ?6 AND s.state = ",
          kSweepActive,
          " AND (r.device = ?4 OR r.device = ?5) AND (r.depends_on IS NULL OR "
          "(SELECT d.state FROM runs d WHERE d.id = r.depends_on) = ",
          kRunSucceeded,
          ") ORDER BY r.sweep_id, r.id LIMIT 1) "
          "RETURNING id, lease_seq, config_json, trainer_kind, command, name, depends_on, "
          "artifacts_json")));
  bool claimed = false;
  for (RunState state : {v1::RUN_STATE_STALE, v1::RUN_STATE_PENDING}) {
    claim->Reset();
    claim->Bind(1, worker_id).Bind(2, now_ms + lease_timeout_ms).Bind(3, now_ms);
    claim->Bind(4, has_cpu ? "cpu" : "-").Bind(5, has_cuda ? "cuda" : "-");
    claim->Bind(6, static_cast<int64_t>(state));
    MIXLAW_ASSIGN_OR_RETURN(claimed, claim->Step());
    if (claimed) break;
  }
  if (!claimed) {
    claim->Reset();
    return std::optional<v1::Lease>();
  }
  v1::Lease lease;
  lease.set_run_id(claim->Int(0));
  lease.set_lease_id(claim->Int(1));
  nlohmann::json config = ParseObject(claim->Text(2));
  lease.set_trainer_kind(claim->Text(3));
  lease.set_command(claim->Text(4));
  lease.set_run_name(claim->Text(5));
  int64_t depends_on = claim->IsNull(6) ? 0 : claim->Int(6);
  nlohmann::json own_artifacts = ParseObject(claim->Text(7));
  MIXLAW_RETURN_IF_ERROR(claim->Run());  // finish the statement before the next one
  claim->Reset();

  config["run_id"] = lease.run_id();
  if (own_artifacts.contains("checkpoint")) {
    config["resume_checkpoint"] = own_artifacts["checkpoint"];
  }
  if (depends_on != 0) {
    MIXLAW_ASSIGN_OR_RETURN(
        std::optional<std::string> dep_artifacts,
        db_->QueryText("SELECT artifacts_json FROM runs WHERE id = ?1", {depends_on}));
    nlohmann::json dep = ParseObject(dep_artifacts.value_or("{}"));
    if (dep.contains("checkpoint")) config["init_checkpoint"] = dep["checkpoint"];
  }
  lease.set_run_config_json(config.dump(2));
  MIXLAW_RETURN_IF_ERROR(tx.Commit());
  Changed();
  return std::optional<v1::Lease>(std::move(lease));
}

absl::StatusOr<bool> Store::AnySweepActive() {
  MutexLock lock(&mutex_);
  MIXLAW_ASSIGN_OR_RETURN(
      int64_t active,
      db_->QueryInt(
          absl::StrCat("SELECT EXISTS (SELECT 1 FROM sweeps WHERE state = ", kSweepActive, ")")));
  return active != 0;
}

absl::StatusOr<int64_t> Store::SplitId(const std::string& name) {
  auto it = split_ids_.find(name);
  if (it != split_ids_.end()) return it->second;
  MIXLAW_ASSIGN_OR_RETURN(Statement * insert,
                          db_->Prepare("INSERT INTO splits (name) VALUES (?1) ON CONFLICT (name) "
                                       "DO UPDATE SET name = excluded.name RETURNING id"));
  insert->Bind(1, name);
  MIXLAW_ASSIGN_OR_RETURN(bool row, insert->Step());
  if (!row) return absl::InternalError("store: no split id returned");
  int64_t id = insert->Int(0);
  MIXLAW_RETURN_IF_ERROR(insert->Run());
  insert->Reset();
  // Callers clear the cache if their transaction rolls back.
  split_ids_[name] = id;
  return id;
}

absl::StatusOr<int64_t> Store::StorePoints(
    int64_t run_id, const google::protobuf::RepeatedPtrField<v1::MetricPoint>& points) {
  MIXLAW_ASSIGN_OR_RETURN(
      Statement * insert,
      db_->Prepare("INSERT OR IGNORE INTO metrics (run_id, split_id, step, loss, tokens, lr) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
  MIXLAW_ASSIGN_OR_RETURN(
      Statement * update,
      db_->Prepare("UPDATE metrics SET loss = ?4, tokens = ?5, lr = ?6 WHERE run_id = ?1 AND "
                   "split_id = ?2 AND step = ?3 AND (loss IS NOT ?4 OR tokens != ?5 OR lr != ?6)"));
  int64_t stored = 0;
  for (const v1::MetricPoint& p : points) {
    if (p.split().empty()) return absl::InvalidArgumentError("a metric point has no split");
    MIXLAW_ASSIGN_OR_RETURN(int64_t split_id, SplitId(p.split()));
    for (Statement* s : {insert, update}) {
      s->Reset();
      s->Bind(1, run_id).Bind(2, split_id).Bind(3, p.step());
      if (std::isfinite(p.loss())) {
        s->Bind(4, p.loss());
      } else {
        s->BindNull(4);
      }
      s->Bind(5, p.tokens()).Bind(6, p.lr());
      MIXLAW_RETURN_IF_ERROR(s->Run());
      if (s == insert && db_->changes() == 1) {
        ++stored;
        break;  // a new point: nothing to update
      }
    }
  }
  return stored;
}

absl::Status Store::MergeArtifacts(
    int64_t run_id, const google::protobuf::Map<std::string, std::string>& artifacts) {
  if (artifacts.empty()) return absl::OkStatus();
  MIXLAW_ASSIGN_OR_RETURN(
      std::optional<std::string> current,
      db_->QueryText("SELECT artifacts_json FROM runs WHERE id = ?1", {run_id}));
  nlohmann::json merged = ParseObject(current.value_or("{}"));
  for (const auto& [name, path] : artifacts) merged[name] = path;
  MIXLAW_ASSIGN_OR_RETURN(Statement * s,
                          db_->Prepare("UPDATE runs SET artifacts_json = ?2 WHERE id = ?1"));
  s->Bind(1, run_id).Bind(2, merged.dump());
  return s->Run();
}

absl::StatusOr<int64_t> Store::CheckLease(int64_t run_id, int64_t lease_id,
                                          const std::string& worker_id) {
  MIXLAW_ASSIGN_OR_RETURN(Statement * s,
                          db_->Prepare("SELECT state, lease_seq, worker_id, sweep_id FROM runs "
                                       "WHERE id = ?1"));
  s->Bind(1, run_id);
  MIXLAW_ASSIGN_OR_RETURN(bool found, s->Step());
  if (!found) return absl::NotFoundError(absl::StrCat("run ", run_id, " does not exist"));
  auto state = static_cast<RunState>(s->Int(0));
  int64_t seq = s->Int(1);
  std::string holder = s->Text(2);
  int64_t sweep_id = s->Int(3);
  s->Reset();
  if (seq != lease_id || holder != worker_id ||
      (state != v1::RUN_STATE_LEASED && state != v1::RUN_STATE_RUNNING)) {
    return absl::FailedPreconditionError(
        absl::StrCat("run ", run_id, ": lease ", lease_id, " of worker ", worker_id,
                     " is no longer held (the run is ", RunStateName(state), ", lease ", seq,
                     " of worker ", holder.empty() ? "none" : holder, ")"));
  }
  return sweep_id;
}

absl::StatusOr<Store::HeartbeatResult> Store::Heartbeat(const v1::HeartbeatRequest& request,
                                                        int64_t now_ms, int64_t lease_timeout_ms) {
  MutexLock lock(&mutex_);
  Transaction tx(db_.get());
  MIXLAW_RETURN_IF_ERROR(tx.Begin());
  // A rolled-back transaction may have taken new split rows with it.
  absl::Cleanup forget_splits = [this]()
                                    ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) { split_ids_.clear(); };
  MIXLAW_RETURN_IF_ERROR(
      CheckLease(request.run_id(), request.lease_id(), request.worker_id()).status());
  HeartbeatResult result;
  MIXLAW_ASSIGN_OR_RETURN(result.stored_points, StorePoints(request.run_id(), request.points()));
  MIXLAW_RETURN_IF_ERROR(MergeArtifacts(request.run_id(), request.artifacts()));
  MIXLAW_ASSIGN_OR_RETURN(
      Statement * s,
      db_->Prepare(absl::StrCat(
          "UPDATE runs SET state = ", kRunRunning,
          ", step = MAX(step, ?2), total_steps = CASE WHEN ?3 > "
          "0 THEN ?3 ELSE total_steps END, lease_expires_ms = ?4, updated_ms = ?5 WHERE "
          "id = ?1 RETURNING cancel_requested OR stop_requested")));
  s->Bind(1, request.run_id()).Bind(2, request.step()).Bind(3, request.total_steps());
  s->Bind(4, now_ms + lease_timeout_ms).Bind(5, now_ms);
  MIXLAW_ASSIGN_OR_RETURN(bool row, s->Step());
  result.cancel = row && s->Int(0) != 0;
  MIXLAW_RETURN_IF_ERROR(s->Run());
  s->Reset();
  MIXLAW_RETURN_IF_ERROR(tx.Commit());
  std::move(forget_splits).Cancel();
  Changed();
  return result;
}

absl::Status Store::CompleteRun(const v1::CompleteRunRequest& request, int64_t now_ms) {
  MutexLock lock(&mutex_);
  Transaction tx(db_.get());
  MIXLAW_RETURN_IF_ERROR(tx.Begin());
  // A rolled-back transaction may have taken new split rows with it.
  absl::Cleanup forget_splits = [this]()
                                    ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) { split_ids_.clear(); };
  absl::StatusOr<int64_t> sweep_id =
      CheckLease(request.run_id(), request.lease_id(), request.worker_id());
  if (!sweep_id.ok()) {
    // A completion resent after its answer was lost finds the run already succeeded.
    MIXLAW_ASSIGN_OR_RETURN(
        int64_t done,
        db_->QueryInt(absl::StrCat("SELECT COUNT(*) FROM runs WHERE id = ?1 AND state = ",
                                   kRunSucceeded, " AND lease_seq = ?2"),
                      {request.run_id(), request.lease_id()}));
    if (done == 1) return absl::OkStatus();
    return sweep_id.status();
  }
  MIXLAW_RETURN_IF_ERROR(StorePoints(request.run_id(), request.points()).status());
  MIXLAW_RETURN_IF_ERROR(MergeArtifacts(request.run_id(), request.artifacts()));
  MIXLAW_ASSIGN_OR_RETURN(
      Statement * s,
      // failure_reason is kept: a run that succeeded on a later attempt says what went wrong first.
      db_->Prepare(absl::StrCat("UPDATE runs SET state = ", kRunSucceeded,
                                ", step = total_steps, lease_expires_ms = NULL, "
                                "updated_ms = ?2 WHERE id = ?1")));
  s->Bind(1, request.run_id()).Bind(2, now_ms);
  MIXLAW_RETURN_IF_ERROR(s->Run());
  MIXLAW_RETURN_IF_ERROR(UpdateSweepState(*sweep_id));
  MIXLAW_RETURN_IF_ERROR(tx.Commit());
  std::move(forget_splits).Cancel();
  Changed();
  return absl::OkStatus();
}

absl::Status Store::FailRun(const v1::FailRunRequest& request, int64_t now_ms) {
  MutexLock lock(&mutex_);
  Transaction tx(db_.get());
  MIXLAW_RETURN_IF_ERROR(tx.Begin());
  // A rolled-back transaction may have taken new split rows with it.
  absl::Cleanup forget_splits = [this]()
                                    ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) { split_ids_.clear(); };
  absl::StatusOr<int64_t> sweep_id =
      CheckLease(request.run_id(), request.lease_id(), request.worker_id());
  if (!sweep_id.ok()) {
    // Resent after a lost answer: the run already left this lease.
    MIXLAW_ASSIGN_OR_RETURN(
        int64_t moved_on,
        db_->QueryInt(absl::StrCat("SELECT COUNT(*) FROM runs WHERE id = ?1 AND lease_seq = ?2 "
                                   "AND state NOT IN ",
                                   kHeld),
                      {request.run_id(), request.lease_id()}));
    if (moved_on == 1) return absl::OkStatus();
    return sweep_id.status();
  }
  MIXLAW_RETURN_IF_ERROR(StorePoints(request.run_id(), request.points()).status());
  MIXLAW_ASSIGN_OR_RETURN(
      Statement * read,
      db_->Prepare("SELECT attempts, max_attempts, cancel_requested, stop_requested, "
                   "failure_reason FROM runs WHERE id = ?1"));
  read->Bind(1, request.run_id());
  MIXLAW_RETURN_IF_ERROR(read->Step().status());
  int64_t attempts = read->Int(0), max_attempts = read->Int(1);
  bool cancel_requested = read->Int(2) != 0;
  const bool stop_requested = read->Int(3) != 0;
  const std::string stop_reason = read->Text(4);
  read->Reset();

  RunState next = v1::RUN_STATE_FAILED;
  std::string reason = request.reason();
  int64_t attempts_after = attempts;
  switch (request.kind()) {
    case v1::FAILURE_KIND_DIVERGED:
      next = v1::RUN_STATE_DIVERGED;
      break;
    case v1::FAILURE_KIND_CANCELLED:
      next = stop_requested ? v1::RUN_STATE_STOPPED : v1::RUN_STATE_CANCELLED;
      if (stop_requested) reason = stop_reason;
      break;
    case v1::FAILURE_KIND_RELEASED:
      if (stop_requested) {
        next = v1::RUN_STATE_STOPPED;
        reason = stop_reason;
        break;
      }
      // Handed back cleanly: the attempt does not count.
      next = cancel_requested ? v1::RUN_STATE_CANCELLED : v1::RUN_STATE_PENDING;
      attempts_after = std::max<int64_t>(0, attempts - 1);
      if (reason.empty()) reason = "released by worker " + request.worker_id();
      break;
    default:
      if (stop_requested) {
        // Asked to stop: however the trainer ended, the run ends stopped with the stop's reason.
        next = v1::RUN_STATE_STOPPED;
        reason = stop_reason;
      } else if (cancel_requested) {
        next = v1::RUN_STATE_CANCELLED;
      } else if (attempts < max_attempts) {
        next = v1::RUN_STATE_STALE;
        reason = absl::StrCat("attempt ", attempts, " of ", max_attempts, " failed: ", reason);
      } else {
        reason = absl::StrCat("failed after ", attempts, " attempts: ", reason);
      }
  }
  MIXLAW_ASSIGN_OR_RETURN(
      Statement * s, db_->Prepare("UPDATE runs SET state = ?2, attempts = ?3, failure_reason = ?4, "
                                  "lease_expires_ms = NULL, updated_ms = ?5 WHERE id = ?1"));
  s->Bind(1, request.run_id()).Bind(2, static_cast<int64_t>(next)).Bind(3, attempts_after);
  s->Bind(4, reason).Bind(5, now_ms);
  MIXLAW_RETURN_IF_ERROR(s->Run());
  if (IsTerminal(next)) {
    MIXLAW_RETURN_IF_ERROR(FailDependents(
        request.run_id(),
        absl::StrCat("dependency run ", request.run_id(), " ended ", RunStateName(next)), now_ms));
  }
  MIXLAW_RETURN_IF_ERROR(UpdateSweepState(*sweep_id));
  MIXLAW_RETURN_IF_ERROR(tx.Commit());
  std::move(forget_splits).Cancel();
  Changed();
  return absl::OkStatus();
}

absl::Status Store::FailDependents(int64_t run_id, const std::string& reason, int64_t now_ms) {
  MIXLAW_ASSIGN_OR_RETURN(Statement * s,
                          db_->Prepare(absl::StrCat("UPDATE runs SET state = ", kRunFailed,
                                                    ", failure_reason = ?2, updated_ms = ?3 "
                                                    "WHERE depends_on = ?1 AND state IN ",
                                                    kLeasable, " RETURNING id")));
  s->Bind(1, run_id).Bind(2, reason).Bind(3, now_ms);
  std::vector<int64_t> failed;
  while (true) {
    MIXLAW_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    failed.push_back(s->Int(0));
  }
  s->Reset();
  for (int64_t id : failed) {
    MIXLAW_RETURN_IF_ERROR(
        FailDependents(id, absl::StrCat("dependency run ", id, " ended failed"), now_ms));
  }
  return absl::OkStatus();
}

absl::Status Store::UpdateSweepState(int64_t sweep_id) {
  MIXLAW_ASSIGN_OR_RETURN(
      Statement * s,
      db_->Prepare(absl::StrCat("UPDATE sweeps SET state = ", kSweepFinished,
                                " WHERE id = ?1 AND state = ", kSweepActive,
                                " AND NOT "
                                "EXISTS (SELECT 1 FROM runs WHERE sweep_id = ?1 AND state IN ",
                                kUnfinished, ")")));
  s->Bind(1, sweep_id);
  return s->Run();
}

absl::StatusOr<int> Store::ExpireLeases(int64_t now_ms) {
  MutexLock lock(&mutex_);
  Transaction tx(db_.get());
  MIXLAW_RETURN_IF_ERROR(tx.Begin());
  MIXLAW_ASSIGN_OR_RETURN(
      Statement * find,
      db_->Prepare(absl::StrCat("SELECT r.id, r.sweep_id, r.attempts, r.max_attempts, r.worker_id, "
                                "r.step, r.cancel_requested OR s.state = ",
                                kSweepCancelled, ", r.stop_requested, r.failure_reason",
                                " FROM runs r JOIN sweeps "
                                "s ON s.id = r.sweep_id WHERE r.state IN ",
                                kHeld, " AND r.lease_expires_ms < ?1")));
  find->Bind(1, now_ms);
  struct Expired {
    int64_t id, sweep_id, attempts, max_attempts, step;
    std::string worker;
    bool cancelled;
    bool stop_requested;
    std::string stop_reason;
  };
  std::vector<Expired> expired;
  while (true) {
    MIXLAW_ASSIGN_OR_RETURN(bool row, find->Step());
    if (!row) break;
    expired.push_back({find->Int(0), find->Int(1), find->Int(2), find->Int(3), find->Int(5),
                       find->Text(4), find->Int(6) != 0, find->Int(7) != 0, find->Text(8)});
  }
  find->Reset();
  MIXLAW_ASSIGN_OR_RETURN(
      Statement * update,
      db_->Prepare("UPDATE runs SET state = ?2, failure_reason = ?3, lease_expires_ms = NULL, "
                   "updated_ms = ?4 WHERE id = ?1"));
  for (const Expired& e : expired) {
    std::string why = absl::StrCat("lease of worker ", e.worker, " expired at step ", e.step);
    RunState next = v1::RUN_STATE_STALE;
    if (e.stop_requested) {
      next = v1::RUN_STATE_STOPPED;
      why = e.stop_reason;
    } else if (e.cancelled) {
      next = v1::RUN_STATE_CANCELLED;
      why = "sweep cancelled; " + why;
    } else if (e.attempts >= e.max_attempts) {
      next = v1::RUN_STATE_FAILED;
      why = absl::StrCat("failed after ", e.attempts, " attempts: ", why);
    }
    update->Reset();
    update->Bind(1, e.id).Bind(2, static_cast<int64_t>(next)).Bind(3, why).Bind(4, now_ms);
    MIXLAW_RETURN_IF_ERROR(update->Run());
    if (IsTerminal(next)) {
      MIXLAW_RETURN_IF_ERROR(FailDependents(
          e.id, absl::StrCat("dependency run ", e.id, " ended ", RunStateName(next)), now_ms));
    }
    MIXLAW_RETURN_IF_ERROR(UpdateSweepState(e.sweep_id));
  }
  MIXLAW_RETURN_IF_ERROR(tx.Commit());
  if (!expired.empty()) Changed();
  return static_cast<int>(expired.size());
}

absl::Status Store::ExtendLeases(int64_t now_ms, int64_t grace_ms) {
  MutexLock lock(&mutex_);
  MIXLAW_ASSIGN_OR_RETURN(
      Statement * s,
      db_->Prepare(absl::StrCat("UPDATE runs SET lease_expires_ms = MAX(lease_expires_ms, ?1) "
                                "WHERE state IN ",
                                kHeld)));
  s->Bind(1, now_ms + grace_ms);
  return s->Run();
}

absl::Status Store::ReleaseAllLeases(int64_t now_ms) {
  MutexLock lock(&mutex_);
  Transaction tx(db_.get());
  MIXLAW_RETURN_IF_ERROR(tx.Begin());
  // Runs asked to stop end stopped; the others wait to be leased again.
  MIXLAW_ASSIGN_OR_RETURN(
      Statement * stopped,
      db_->Prepare(absl::StrCat("UPDATE runs SET state = ", kRunStopped,
                                ", lease_expires_ms = NULL, updated_ms = ?1 WHERE stop_requested "
                                "= 1 AND state IN ",
                                kHeld, " RETURNING id, sweep_id")));
  stopped->Bind(1, now_ms);
  std::vector<std::pair<int64_t, int64_t>> ended;  // run, sweep
  while (true) {
    MIXLAW_ASSIGN_OR_RETURN(bool row, stopped->Step());
    if (!row) break;
    ended.emplace_back(stopped->Int(0), stopped->Int(1));
  }
  stopped->Reset();
  for (const auto& [run_id, sweep_id] : ended) {
    MIXLAW_RETURN_IF_ERROR(
        FailDependents(run_id, absl::StrCat("dependency run ", run_id, " ended stopped"), now_ms));
    MIXLAW_RETURN_IF_ERROR(UpdateSweepState(sweep_id));
  }
  MIXLAW_ASSIGN_OR_RETURN(
      Statement * s,
      db_->Prepare(absl::StrCat("UPDATE runs SET state = ", kRunPending,
                                ", attempts = MAX(0, attempts - 1), "
                                "lease_expires_ms = NULL, failure_reason = 'handed back when its ",
                                "worker stopped', updated_ms = ?1 WHERE state IN ", kHeld)));
  s->Bind(1, now_ms);
  MIXLAW_RETURN_IF_ERROR(s->Run());
  MIXLAW_RETURN_IF_ERROR(tx.Commit());
  Changed();
  return absl::OkStatus();
}

}  // namespace mixlaw
