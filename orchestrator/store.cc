#include "orchestrator/store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"
#include "orchestrator/store_schema.h"

namespace mixlaw {

using v1::RunState;

namespace {

// SQL fragments naming states by number (kept in step with the enum by the static_asserts).
static_assert(v1::RUN_STATE_PENDING == 1 && v1::RUN_STATE_LEASED == 2 &&
              v1::RUN_STATE_RUNNING == 3 && v1::RUN_STATE_SUCCEEDED == 4 &&
              v1::RUN_STATE_FAILED == 5 && v1::RUN_STATE_DIVERGED == 6 &&
              v1::RUN_STATE_CANCELLED == 7 && v1::RUN_STATE_STALE == 8);
static_assert(v1::SWEEP_STATE_ACTIVE == 1 && v1::SWEEP_STATE_FINISHED == 2 &&
              v1::SWEEP_STATE_CANCELLED == 3);
constexpr const char* kLeasable = "(1, 8)";
constexpr const char* kHeld = "(2, 3)";
constexpr const char* kUnfinished = "(1, 2, 3, 8)";

std::string DeviceKind(const std::string& device) {
  size_t colon = device.find(':');
  return colon == std::string::npos ? device : device.substr(0, colon);
}

nlohmann::json ParseObject(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  return j.is_object() ? j : nlohmann::json::object();
}

constexpr const char* kRunColumns =
    "id, sweep_id, name, stage, model, params, almr, peak_lr, seed, state, attempts, "
    "max_attempts, COALESCE(depends_on, 0), worker_id, failure_reason, step, total_steps, "
    "artifacts_json, tokens";

v1::Run RunFromRow(const Statement& s) {
  v1::Run r;
  r.set_id(s.Int(0));
  r.set_sweep_id(s.Int(1));
  r.set_name(s.Text(2));
  r.set_stage(s.Text(3));
  r.set_model(s.Text(4));
  r.set_params(s.Double(5));
  r.set_almr(s.Double(6));
  r.set_peak_lr(s.Double(7));
  r.set_seed(s.Int(8));
  r.set_state(static_cast<RunState>(s.Int(9)));
  r.set_attempts(static_cast<int32_t>(s.Int(10)));
  r.set_max_attempts(static_cast<int32_t>(s.Int(11)));
  r.set_depends_on(s.Int(12));
  r.set_worker(s.Text(13));
  r.set_failure_reason(s.Text(14));
  r.set_step(s.Int(15));
  r.set_total_steps(s.Int(16));
  nlohmann::json artifacts = ParseObject(s.Text(17));
  for (const auto& [name, path] : artifacts.items()) {
    if (path.is_string()) (*r.mutable_artifacts())[name] = path.get<std::string>();
  }
  r.set_tokens(s.Int(18));
  return r;
}

}  // namespace

Store::Store(std::unique_ptr<Database> db, int lock_fd) : db_(std::move(db)), lock_fd_(lock_fd) {}

Store::~Store() {
  db_.reset();
  if (lock_fd_ >= 0) close(lock_fd_);
}

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& path) {
  // The lock is taken on the file itself with flock, which SQLite's own fcntl locks ignore.
  int lock_fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd < 0) {
    return absl::FailedPreconditionError(absl::StrCat(path, ": cannot open: ", strerror(errno)));
  }
  if (flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    close(lock_fd);
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": in use by another mixlaw orchestrator"));
  }
  absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(path);
  if (!db.ok()) {
    close(lock_fd);
    return db.status();
  }
  std::unique_ptr<Store> store(new Store(std::move(*db), lock_fd));
  Database& d = *store->db_;
  auto refuse = [&](const std::string& why) {
    return absl::FailedPreconditionError(absl::StrCat(path, ": ", why));
  };
  // The first read fails on a file that is not a SQLite database.
  absl::StatusOr<int64_t> app_id = d.QueryInt("PRAGMA application_id");
  if (!app_id.ok()) return refuse(absl::StrCat("not a mixlaw store (", app_id.status().message(), ")"));
  MIXLAW_ASSIGN_OR_RETURN(int64_t version, d.QueryInt("PRAGMA user_version"));
  MIXLAW_ASSIGN_OR_RETURN(int64_t tables, d.QueryInt("SELECT COUNT(*) FROM sqlite_master"));
  if (tables > 0 && *app_id != kStoreApplicationId) {
    return refuse("is a SQLite database but not a mixlaw store");
  }
  if (version > kStoreSchemaVersion) {
    return refuse(absl::StrCat("was written by a newer mixlaw (schema version ", version,
                               "; this build knows up to ", kStoreSchemaVersion, ")"));
  }
  absl::StatusOr<std::optional<std::string>> check = d.QueryText("PRAGMA quick_check");
  if (!check.ok()) return refuse(absl::StrCat("integrity check failed: ", check.status().message()));
  if (!check->has_value() || **check != "ok") {
    return refuse(absl::StrCat("integrity check failed: ", check->value_or("no answer")));
  }
  absl::StatusOr<std::optional<std::string>> mode = d.QueryText("PRAGMA journal_mode=WAL");
  if (!mode.ok() || !mode->has_value() || **mode != "wal") {
    return refuse("cannot switch to WAL mode");
  }
  // NORMAL in WAL mode: a committed transaction survives a crash of this process.
  MIXLAW_RETURN_IF_ERROR(d.Exec("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"));
  MIXLAW_RETURN_IF_ERROR(store->Migrate());
  return store;
}

absl::Status Store::Migrate() {
  MIXLAW_ASSIGN_OR_RETURN(int64_t version, db_->QueryInt("PRAGMA user_version"));
  const auto& migrations = StoreMigrations();
  for (int64_t v = version; v < static_cast<int64_t>(migrations.size()); ++v) {
    Transaction tx(db_.get());
    MIXLAW_RETURN_IF_ERROR(tx.Begin());
    MIXLAW_RETURN_IF_ERROR(db_->Exec(migrations[static_cast<size_t>(v)]));
    MIXLAW_RETURN_IF_ERROR(db_->Exec(absl::StrCat("PRAGMA application_id=", kStoreApplicationId,
                                                  "; PRAGMA user_version=", v + 1)));
    MIXLAW_RETURN_IF_ERROR(tx.Commit());
  }
  return absl::OkStatus();
}

void Store::Changed() {
  ++version_;
  changed_.notify_all();
}

uint64_t Store::version() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return version_;
}

uint64_t Store::WaitForChange(uint64_t seen, int64_t timeout_ms) {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                    [&] { return version_ != seen; });
  return version_;
}

absl::StatusOr<Store::SubmitResult> Store::CreateSweep(const SweepSpec& spec,
                                                       const std::vector<PlannedRun>& runs,
                                                       bool resume_existing, int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string spec_json = spec.canonical.dump();
  Transaction tx(db_.get());
  MIXLAW_RETURN_IF_ERROR(tx.Begin());
  if (resume_existing) {
    MIXLAW_ASSIGN_OR_RETURN(Statement * find,
                            db_->Prepare("SELECT id, (SELECT COUNT(*) FROM runs WHERE sweep_id = "
                                         "sweeps.id) FROM sweeps WHERE name = ?1 AND spec_json = "
                                         "?2 AND state != 3 ORDER BY id DESC LIMIT 1"));
    find->Bind(1, spec.name).Bind(2, spec_json);
    MIXLAW_ASSIGN_OR_RETURN(bool found, find->Step());
    if (found) {
      SubmitResult result{find->Int(0), find->Int(1), true};
      find->Reset();
      return result;
    }
  }
  MIXLAW_ASSIGN_OR_RETURN(Statement * insert_sweep,
                          db_->Prepare("INSERT INTO sweeps (name, spec_json, spec_dir, state, "
                                       "target_params, created_ms) VALUES (?1, ?2, ?3, 1, ?4, ?5)"));
  insert_sweep->Bind(1, spec.name).Bind(2, spec_json).Bind(3, spec.output_root).Bind(5, now_ms);
  if (spec.target_params) insert_sweep->Bind(4, *spec.target_params);
  MIXLAW_RETURN_IF_ERROR(insert_sweep->Run());
  int64_t sweep_id = sqlite3_last_insert_rowid(db_->handle());

  MIXLAW_ASSIGN_OR_RETURN(
      Statement * insert_run,
      db_->Prepare("INSERT INTO runs (sweep_id, name, stage, model, params, almr, peak_lr, seed, "
                   "tokens, depends_on, device, trainer_kind, command, config_json, state, "
                   "max_attempts, total_steps, updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
                   "?8, ?9, ?10, ?11, ?12, ?13, ?14, 1, ?15, ?16, ?17)"));
  std::vector<int64_t> ids;
  ids.reserve(runs.size());
  for (const PlannedRun& r : runs) {
    insert_run->Reset();
    insert_run->Bind(1, sweep_id).Bind(2, r.name).Bind(3, r.stage).Bind(4, r.model);
    insert_run->Bind(5, r.params).Bind(6, r.almr).Bind(7, r.peak_lr).Bind(8, r.seed);
    insert_run->Bind(9, r.tokens);
    if (r.depends_on >= 0) insert_run->Bind(10, ids.at(static_cast<size_t>(r.depends_on)));
    insert_run->Bind(11, r.device).Bind(12, r.trainer_kind).Bind(13, r.command);
    insert_run->Bind(14, r.config.ToJson().dump()).Bind(15, spec.max_attempts);
    insert_run->Bind(16, r.total_steps).Bind(17, now_ms);
    MIXLAW_RETURN_IF_ERROR(insert_run->Run());
    ids.push_back(sqlite3_last_insert_rowid(db_->handle()));
  }
  MIXLAW_RETURN_IF_ERROR(tx.Commit());
  Changed();
  return SubmitResult{sweep_id, static_cast<int64_t>(runs.size()), false};
}

absl::StatusOr<v1::Sweep> Store::SweepSummary(Statement* row) {
  v1::Sweep sweep;
  sweep.set_id(row->Int(0));
  sweep.set_name(row->Text(1));
  sweep.set_state(static_cast<v1::SweepState>(row->Int(2)));
  sweep.set_created_unix_ms(row->Int(3));
  sweep.set_spec_json(row->Text(4));
  if (!row->IsNull(5)) sweep.set_target_params(row->Double(5));
  MIXLAW_ASSIGN_OR_RETURN(
      Statement * counts,
      db_->Prepare("SELECT state, COUNT(*), SUM(CASE WHEN state IN (4, 5, 6, 7) THEN 1.0 "
                   "WHEN total_steps > 0 THEN MIN(step, total_steps) * 1.0 / total_steps "
                   "ELSE 0 END) FROM runs WHERE sweep_id = ?1 GROUP BY state ORDER BY state"));
  counts->Bind(1, sweep.id());
  int64_t total = 0;
  double done = 0.0;
  while (true) {
    MIXLAW_ASSIGN_OR_RETURN(bool has_row, counts->Step());
    if (!has_row) break;
    v1::StateCount* c = sweep.add_counts();
    c->set_state(static_cast<RunState>(counts->Int(0)));
    c->set_count(counts->Int(1));
    total += counts->Int(1);
    done += counts->Double(2);
  }
  counts->Reset();
  sweep.set_total_runs(total);
  sweep.set_progress(total > 0 ? done / static_cast<double>(total) : 1.0);
  return sweep;
}

absl::StatusOr<v1::Sweep> Store::GetSweep(int64_t sweep_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  MIXLAW_ASSIGN_OR_RETURN(Statement * s,
                          db_->Prepare("SELECT id, name, state, created_ms, spec_json, "
                                       "target_params FROM sweeps WHERE id = ?1"));
  s->Bind(1, sweep_id);
  MIXLAW_ASSIGN_OR_RETURN(bool found, s->Step());
  if (!found) return absl::NotFoundError(absl::StrCat("sweep ", sweep_id, " does not exist"));
  absl::StatusOr<v1::Sweep> sweep = SweepSummary(s);
  s->Reset();
  return sweep;
}

absl::StatusOr<std::vector<v1::Sweep>> Store::ListSweeps() {
  std::lock_guard<std::mutex> lock(mutex_);
  MIXLAW_ASSIGN_OR_RETURN(Statement * s,
                          db_->Prepare("SELECT id, name, state, created_ms, spec_json, "
                                       "target_params FROM sweeps ORDER BY id"));
  std::vector<v1::Sweep> sweeps;
  while (true) {
    MIXLAW_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    MIXLAW_ASSIGN_OR_RETURN(v1::Sweep sweep, SweepSummary(s));
    sweep.clear_spec_json();
    sweeps.push_back(std::move(sweep));
  }
  s->Reset();
  return sweeps;
}

absl::StatusOr<std::vector<v1::Run>> Store::ListRuns(int64_t sweep_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  MIXLAW_ASSIGN_OR_RETURN(int64_t exists,
                          db_->QueryInt(absl::StrCat("SELECT COUNT(*) FROM sweeps WHERE id = ",
                                                     sweep_id)));
  if (exists == 0) return absl::NotFoundError(absl::StrCat("sweep ", sweep_id, " does not exist"));
  MIXLAW_ASSIGN_OR_RETURN(
      Statement * s,
      db_->Prepare(absl::StrCat("SELECT ", kRunColumns, " FROM runs WHERE sweep_id = ?1 ORDER BY id")));
  s->Bind(1, sweep_id);
  std::vector<v1::Run> runs;
  while (true) {
    MIXLAW_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    runs.push_back(RunFromRow(*s));
  }
  s->Reset();
  // The final loss of each evaluation split: its value at its last step.
  MIXLAW_ASSIGN_OR_RETURN(
      Statement * finals,
      db_->Prepare("SELECT m.run_id, sp.name, m.loss FROM metrics m JOIN splits sp ON sp.id = "
                   "m.split_id JOIN runs r ON r.id = m.run_id WHERE r.sweep_id = ?1 AND sp.name "
                   "LIKE 'eval/%' AND m.step = (SELECT MAX(step) FROM metrics WHERE run_id = "
                   "m.run_id AND split_id = m.split_id)"));
  finals->Bind(1, sweep_id);
  std::map<int64_t, size_t> index;
  for (size_t i = 0; i < runs.size(); ++i) index[runs[i].id()] = i;
  while (true) {
    MIXLAW_ASSIGN_OR_RETURN(bool row, finals->Step());
    if (!row) break;
    double loss = finals->IsNull(2) ? std::nan("") : finals->Double(2);
    (*runs[index[finals->Int(0)]].mutable_final_loss())[finals->Text(1)] = loss;
  }
  finals->Reset();
  return runs;
}

absl::StatusOr<std::vector<v1::MetricPoint>> Store::RunPoints(int64_t run_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  MIXLAW_ASSIGN_OR_RETURN(
      Statement * s,
      db_->Prepare("SELECT sp.name, m.step, m.loss, m.tokens, m.lr FROM metrics m JOIN splits sp "
                   "ON sp.id = m.split_id WHERE m.run_id = ?1 ORDER BY sp.name, m.step"));
  s->Bind(1, run_id);
  std::vector<v1::MetricPoint> points;
  while (true) {
    MIXLAW_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    v1::MetricPoint& p = points.emplace_back();
    p.set_split(s->Text(0));
    p.set_step(s->Int(1));
    p.set_loss(s->IsNull(2) ? std::nan("") : s->Double(2));
    p.set_tokens(s->Int(3));
    p.set_lr(s->Double(4));
  }
  s->Reset();
  return points;
}

absl::StatusOr<int64_t> Store::CancelSweep(int64_t sweep_id, int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mutex_);
  Transaction tx(db_.get());
  MIXLAW_RETURN_IF_ERROR(tx.Begin());
  MIXLAW_ASSIGN_OR_RETURN(Statement * s,
                          db_->Prepare("UPDATE sweeps SET state = 3 WHERE id = ?1"));
  s->Bind(1, sweep_id);
  MIXLAW_RETURN_IF_ERROR(s->Run());
  if (db_->changes() == 0) {
    return absl::NotFoundError(absl::StrCat("sweep ", sweep_id, " does not exist"));
  }
  MIXLAW_ASSIGN_OR_RETURN(
      Statement * pending,
      db_->Prepare(absl::StrCat("UPDATE runs SET state = 7, failure_reason = 'sweep cancelled', ",
                                "updated_ms = ?2 WHERE sweep_id = ?1 AND state IN ", kLeasable)));
  pending->Bind(1, sweep_id).Bind(2, now_ms);
  MIXLAW_RETURN_IF_ERROR(pending->Run());
  int64_t affected = db_->changes();
  MIXLAW_ASSIGN_OR_RETURN(
      Statement * held,
      db_->Prepare(absl::StrCat("UPDATE runs SET cancel_requested = 1, updated_ms = ?2 WHERE ",
                                "sweep_id = ?1 AND state IN ", kHeld)));
  held->Bind(1, sweep_id).Bind(2, now_ms);
  MIXLAW_RETURN_IF_ERROR(held->Run());
  affected += db_->changes();
  MIXLAW_RETURN_IF_ERROR(tx.Commit());
  Changed();
  return affected;
}

absl::StatusOr<bool> Store::SweepEnded(int64_t sweep_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  MIXLAW_ASSIGN_OR_RETURN(
      int64_t open,
      db_->QueryInt(absl::StrCat("SELECT (SELECT state FROM sweeps WHERE id = ", sweep_id,
                                 ") = 1 OR EXISTS (SELECT 1 FROM runs WHERE sweep_id = ", sweep_id,
                                 " AND state IN ", kHeld, ")")));
  return open == 0;
}

absl::StatusOr<std::string> Store::RegisterWorker(const std::string& hostname,
                                                  const std::vector<std::string>& devices,
                                                  int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mutex_);
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
  std::lock_guard<std::mutex> lock(mutex_);
  bool has_cpu = false, has_cuda = false;
  for (const std::string& d : devices) {
    has_cpu = has_cpu || DeviceKind(d) == "cpu";
    has_cuda = has_cuda || DeviceKind(d) == "cuda";
  }
  Transaction tx(db_.get());
  MIXLAW_RETURN_IF_ERROR(tx.Begin());
  // One statement claims the run: the choice and the claim cannot be separated.
  MIXLAW_ASSIGN_OR_RETURN(
      Statement * claim,
      db_->Prepare(absl::StrCat(
          "UPDATE runs SET state = 2, worker_id = ?1, lease_seq = lease_seq + 1, attempts = "
          "attempts + 1, lease_expires_ms = ?2, updated_ms = ?3, cancel_requested = 0 "
          "WHERE id = (SELECT r.id FROM runs r JOIN sweeps s ON s.id = r.sweep_id "
          "WHERE r.state IN ", kLeasable, " AND s.state = 1 AND (r.device = ?4 OR r.device = ?5) "
          "AND (r.depends_on IS NULL OR (SELECT d.state FROM runs d WHERE d.id = r.depends_on) = 4) "
          "ORDER BY r.sweep_id, r.id LIMIT 1) "
          "RETURNING id, lease_seq, config_json, trainer_kind, command, name, depends_on, "
          "artifacts_json")));
  claim->Bind(1, worker_id).Bind(2, now_ms + lease_timeout_ms).Bind(3, now_ms);
  claim->Bind(4, has_cpu ? "cpu" : "-").Bind(5, has_cuda ? "cuda" : "-");
  MIXLAW_ASSIGN_OR_RETURN(bool claimed, claim->Step());
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
        db_->QueryText(absl::StrCat("SELECT artifacts_json FROM runs WHERE id = ", depends_on)));
    nlohmann::json dep = ParseObject(dep_artifacts.value_or("{}"));
    if (dep.contains("checkpoint")) config["init_checkpoint"] = dep["checkpoint"];
  }
  lease.set_run_config_json(config.dump(2));
  MIXLAW_ASSIGN_OR_RETURN(Statement * seen,
                          db_->Prepare("UPDATE workers SET last_seen_ms = ?2 WHERE id = ?1"));
  seen->Bind(1, static_cast<int64_t>(worker_id.size() > 1 ? std::stoll(worker_id.substr(1)) : 0))
      .Bind(2, now_ms);
  MIXLAW_RETURN_IF_ERROR(seen->Run());
  MIXLAW_RETURN_IF_ERROR(tx.Commit());
  Changed();
  return std::optional<v1::Lease>(std::move(lease));
}

absl::StatusOr<bool> Store::AnySweepActive() {
  std::lock_guard<std::mutex> lock(mutex_);
  MIXLAW_ASSIGN_OR_RETURN(int64_t active,
                          db_->QueryInt("SELECT EXISTS (SELECT 1 FROM sweeps WHERE state = 1)"));
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
      db_->QueryText(absl::StrCat("SELECT artifacts_json FROM runs WHERE id = ", run_id)));
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
  if (seq != lease_id || holder != worker_id || (state != v1::RUN_STATE_LEASED &&
                                                 state != v1::RUN_STATE_RUNNING)) {
    return absl::FailedPreconditionError(
        absl::StrCat("run ", run_id, ": lease ", lease_id, " of worker ", worker_id,
                     " is no longer held (the run is ", RunStateName(state), ", lease ", seq,
                     " of worker ", holder.empty() ? "none" : holder, ")"));
  }
  return sweep_id;
}

absl::StatusOr<Store::HeartbeatResult> Store::Heartbeat(const v1::HeartbeatRequest& request,
                                                        int64_t now_ms, int64_t lease_timeout_ms) {
  std::lock_guard<std::mutex> lock(mutex_);
  Transaction tx(db_.get());
  MIXLAW_RETURN_IF_ERROR(tx.Begin());
  // A rolled-back transaction may have taken new split rows with it.
  absl::Cleanup forget_splits = [this] { split_ids_.clear(); };
  MIXLAW_RETURN_IF_ERROR(
      CheckLease(request.run_id(), request.lease_id(), request.worker_id()).status());
  HeartbeatResult result;
  MIXLAW_ASSIGN_OR_RETURN(result.stored_points, StorePoints(request.run_id(), request.points()));
  MIXLAW_RETURN_IF_ERROR(MergeArtifacts(request.run_id(), request.artifacts()));
  MIXLAW_ASSIGN_OR_RETURN(
      Statement * s,
      db_->Prepare("UPDATE runs SET state = 3, step = MAX(step, ?2), total_steps = CASE WHEN ?3 > "
                   "0 THEN ?3 ELSE total_steps END, lease_expires_ms = ?4, updated_ms = ?5 WHERE "
                   "id = ?1 RETURNING cancel_requested"));
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
  std::lock_guard<std::mutex> lock(mutex_);
  Transaction tx(db_.get());
  MIXLAW_RETURN_IF_ERROR(tx.Begin());
  // A rolled-back transaction may have taken new split rows with it.
  absl::Cleanup forget_splits = [this] { split_ids_.clear(); };
  absl::StatusOr<int64_t> sweep_id =
      CheckLease(request.run_id(), request.lease_id(), request.worker_id());
  if (!sweep_id.ok()) {
    // A completion resent after its answer was lost finds the run already succeeded.
    MIXLAW_ASSIGN_OR_RETURN(
        int64_t done, db_->QueryInt(absl::StrCat("SELECT COUNT(*) FROM runs WHERE id = ",
                                                 request.run_id(), " AND state = 4 AND lease_seq = ",
                                                 request.lease_id())));
    if (done == 1) return absl::OkStatus();
    return sweep_id.status();
  }
  MIXLAW_RETURN_IF_ERROR(StorePoints(request.run_id(), request.points()).status());
  MIXLAW_RETURN_IF_ERROR(MergeArtifacts(request.run_id(), request.artifacts()));
  MIXLAW_ASSIGN_OR_RETURN(
      Statement * s,
      // failure_reason is kept: a run that succeeded on a later attempt says what went wrong first.
      db_->Prepare("UPDATE runs SET state = 4, step = total_steps, lease_expires_ms = NULL, "
                   "updated_ms = ?2 WHERE id = ?1"));
  s->Bind(1, request.run_id()).Bind(2, now_ms);
  MIXLAW_RETURN_IF_ERROR(s->Run());
  MIXLAW_RETURN_IF_ERROR(UpdateSweepState(*sweep_id));
  MIXLAW_RETURN_IF_ERROR(tx.Commit());
  std::move(forget_splits).Cancel();
  Changed();
  return absl::OkStatus();
}

absl::Status Store::FailRun(const v1::FailRunRequest& request, int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mutex_);
  Transaction tx(db_.get());
  MIXLAW_RETURN_IF_ERROR(tx.Begin());
  // A rolled-back transaction may have taken new split rows with it.
  absl::Cleanup forget_splits = [this] { split_ids_.clear(); };
  absl::StatusOr<int64_t> sweep_id =
      CheckLease(request.run_id(), request.lease_id(), request.worker_id());
  if (!sweep_id.ok()) {
    // Resent after a lost answer: the run already left this lease.
    MIXLAW_ASSIGN_OR_RETURN(
        int64_t moved_on,
        db_->QueryInt(absl::StrCat("SELECT COUNT(*) FROM runs WHERE id = ", request.run_id(),
                                   " AND lease_seq = ", request.lease_id(), " AND state NOT IN ",
                                   kHeld)));
    if (moved_on == 1) return absl::OkStatus();
    return sweep_id.status();
  }
  MIXLAW_RETURN_IF_ERROR(StorePoints(request.run_id(), request.points()).status());
  MIXLAW_ASSIGN_OR_RETURN(
      Statement * read,
      db_->Prepare("SELECT attempts, max_attempts, cancel_requested FROM runs WHERE id = ?1"));
  read->Bind(1, request.run_id());
  MIXLAW_RETURN_IF_ERROR(read->Step().status());
  int64_t attempts = read->Int(0), max_attempts = read->Int(1);
  bool cancel_requested = read->Int(2) != 0;
  read->Reset();

  RunState next = v1::RUN_STATE_FAILED;
  std::string reason = request.reason();
  int64_t attempts_after = attempts;
  switch (request.kind()) {
    case v1::FAILURE_KIND_DIVERGED:
      next = v1::RUN_STATE_DIVERGED;
      break;
    case v1::FAILURE_KIND_CANCELLED:
      next = v1::RUN_STATE_CANCELLED;
      break;
    case v1::FAILURE_KIND_RELEASED:
      // Handed back cleanly: the attempt does not count.
      next = cancel_requested ? v1::RUN_STATE_CANCELLED : v1::RUN_STATE_PENDING;
      attempts_after = std::max<int64_t>(0, attempts - 1);
      if (reason.empty()) reason = "released by worker " + request.worker_id();
      break;
    default:
      if (cancel_requested) {
        next = v1::RUN_STATE_CANCELLED;
      } else if (attempts < max_attempts) {
        next = v1::RUN_STATE_STALE;
        reason = absl::StrCat("attempt ", attempts, " of ", max_attempts, " failed: ", reason);
      } else {
        reason = absl::StrCat("failed after ", attempts, " attempts: ", reason);
      }
  }
  MIXLAW_ASSIGN_OR_RETURN(
      Statement * s,
      db_->Prepare("UPDATE runs SET state = ?2, attempts = ?3, failure_reason = ?4, "
                   "lease_expires_ms = NULL, updated_ms = ?5 WHERE id = ?1"));
  s->Bind(1, request.run_id()).Bind(2, static_cast<int64_t>(next)).Bind(3, attempts_after);
  s->Bind(4, reason).Bind(5, now_ms);
  MIXLAW_RETURN_IF_ERROR(s->Run());
  if (IsTerminal(next)) {
    MIXLAW_RETURN_IF_ERROR(FailDependents(
        request.run_id(), absl::StrCat("dependency run ", request.run_id(), " ended ",
                                       RunStateName(next)), now_ms));
  }
  MIXLAW_RETURN_IF_ERROR(UpdateSweepState(*sweep_id));
  MIXLAW_RETURN_IF_ERROR(tx.Commit());
  std::move(forget_splits).Cancel();
  Changed();
  return absl::OkStatus();
}

absl::Status Store::FailDependents(int64_t run_id, const std::string& reason, int64_t now_ms) {
  MIXLAW_ASSIGN_OR_RETURN(
      Statement * s,
      db_->Prepare(absl::StrCat("UPDATE runs SET state = 5, failure_reason = ?2, updated_ms = ?3 "
                                "WHERE depends_on = ?1 AND state IN ", kLeasable, " RETURNING id")));
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
      db_->Prepare(absl::StrCat("UPDATE sweeps SET state = 2 WHERE id = ?1 AND state = 1 AND NOT "
                                "EXISTS (SELECT 1 FROM runs WHERE sweep_id = ?1 AND state IN ",
                                kUnfinished, ")")));
  s->Bind(1, sweep_id);
  return s->Run();
}

absl::StatusOr<int> Store::ExpireLeases(int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mutex_);
  Transaction tx(db_.get());
  MIXLAW_RETURN_IF_ERROR(tx.Begin());
  MIXLAW_ASSIGN_OR_RETURN(
      Statement * find,
      db_->Prepare(absl::StrCat("SELECT r.id, r.sweep_id, r.attempts, r.max_attempts, r.worker_id, "
                                "r.step, r.cancel_requested OR s.state = 3 FROM runs r JOIN sweeps "
                                "s ON s.id = r.sweep_id WHERE r.state IN ", kHeld,
                                " AND r.lease_expires_ms < ?1")));
  find->Bind(1, now_ms);
  struct Expired {
    int64_t id, sweep_id, attempts, max_attempts, step;
    std::string worker;
    bool cancelled;
  };
  std::vector<Expired> expired;
  while (true) {
    MIXLAW_ASSIGN_OR_RETURN(bool row, find->Step());
    if (!row) break;
    expired.push_back({find->Int(0), find->Int(1), find->Int(2), find->Int(3), find->Int(5),
                       find->Text(4), find->Int(6) != 0});
  }
  find->Reset();
  MIXLAW_ASSIGN_OR_RETURN(
      Statement * update,
      db_->Prepare("UPDATE runs SET state = ?2, failure_reason = ?3, lease_expires_ms = NULL, "
                   "updated_ms = ?4 WHERE id = ?1"));
  for (const Expired& e : expired) {
    std::string why = absl::StrCat("lease of worker ", e.worker, " expired at step ", e.step);
    RunState next = v1::RUN_STATE_STALE;
    if (e.cancelled) {
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
      MIXLAW_RETURN_IF_ERROR(
          FailDependents(e.id, absl::StrCat("dependency run ", e.id, " ended ",
                                            RunStateName(next)), now_ms));
    }
    MIXLAW_RETURN_IF_ERROR(UpdateSweepState(e.sweep_id));
  }
  MIXLAW_RETURN_IF_ERROR(tx.Commit());
  if (!expired.empty()) Changed();
  return static_cast<int>(expired.size());
}

absl::Status Store::ExtendLeases(int64_t now_ms, int64_t grace_ms) {
  std::lock_guard<std::mutex> lock(mutex_);
  MIXLAW_ASSIGN_OR_RETURN(
      Statement * s,
      db_->Prepare(absl::StrCat("UPDATE runs SET lease_expires_ms = MAX(lease_expires_ms, ?1) "
                                "WHERE state IN ", kHeld)));
  s->Bind(1, now_ms + grace_ms);
  return s->Run();
}

absl::Status Store::ReleaseAllLeases(int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mutex_);
  MIXLAW_ASSIGN_OR_RETURN(
      Statement * s,
      db_->Prepare(absl::StrCat("UPDATE runs SET state = 1, attempts = MAX(0, attempts - 1), "
                                "lease_expires_ms = NULL, failure_reason = 'handed back when its ",
                                "worker stopped', updated_ms = ?1 WHERE state IN ", kHeld)));
  s->Bind(1, now_ms);
  MIXLAW_RETURN_IF_ERROR(s->Run());
  Changed();
  return absl::OkStatus();
}

}  // namespace mixlaw
