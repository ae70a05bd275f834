#include "orchestrator/store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"
#include "orchestrator/store_internal.h"
#include "orchestrator/store_schema.h"

namespace mixlaw {

using namespace store_internal;  // NOLINT: the store's own helpers
using v1::RunState;

namespace {

// NotFound unless sweep `sweep_id` is stored; the caller holds `db`'s lock.
absl::Status CheckSweepExists(Database& db, int64_t sweep_id) {
  MIXLAW_ASSIGN_OR_RETURN(int64_t exists,
                          db.QueryInt("SELECT COUNT(*) FROM sweeps WHERE id = ?1", {sweep_id}));
  if (exists == 0) return absl::NotFoundError(absl::StrCat("sweep ", sweep_id, " does not exist"));
  return absl::OkStatus();
}

}  // namespace

Store::Store(std::unique_ptr<Database> db, int lock_fd) : db_(std::move(db)), lock_fd_(lock_fd) {}

Store::~Store() {
  reader_.reset();
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
  MutexLock lock(&store->mutex_);  // no one else has the store yet: for the analysis
  Database& d = *store->db_;
  auto refuse = [&](const std::string& why) {
    return absl::FailedPreconditionError(absl::StrCat(path, ": ", why));
  };
  // The first read fails on a file that is not a SQLite database.
  absl::StatusOr<int64_t> app_id = d.QueryInt("PRAGMA application_id");
  if (!app_id.ok())
    return refuse(absl::StrCat("not a mixlaw store (", app_id.status().message(), ")"));
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
  if (!check.ok())
    return refuse(absl::StrCat("integrity check failed: ", check.status().message()));
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
  absl::StatusOr<std::unique_ptr<Database>> reader = Database::Open(path, /*existing_only=*/true);
  if (!reader.ok()) return reader.status();
  // A reader waits out the moments a checkpoint holds the index; it never writes.
  sqlite3_busy_timeout((*reader)->handle(), 5000);
  MIXLAW_RETURN_IF_ERROR((*reader)->Exec("PRAGMA query_only=ON;"));
  MutexLock read_lock(&store->read_mutex_);
  store->reader_ = std::move(*reader);
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
  mutex_.NotifyAll();
}

void Store::SetTransactionHistogram(LatencyHistogram* histogram) {
  MutexLock lock(&mutex_);
  db_->set_transaction_histogram(histogram);
}

uint64_t Store::version() const {
  MutexLock lock(&mutex_);
  return version_;
}

uint64_t Store::WaitForChange(uint64_t seen, int64_t timeout_ms) {
  MutexLock lock(&mutex_);
  auto changed = [this, seen]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) { return version_ != seen; };
  mutex_.AwaitWithTimeout(changed, std::chrono::milliseconds(timeout_ms));
  return version_;
}

absl::StatusOr<Store::SubmitResult> Store::CreateSweep(const SweepSpec& spec,
                                                       const std::vector<PlannedRun>& runs,
                                                       bool resume_existing, int64_t now_ms) {
  MutexLock lock(&mutex_);
  std::string spec_json = spec.canonical.dump();
  Transaction tx(db_.get());
  MIXLAW_RETURN_IF_ERROR(tx.Begin());
  if (resume_existing) {
    MIXLAW_ASSIGN_OR_RETURN(
        Statement * find,
        db_->Prepare(absl::StrCat("SELECT id, (SELECT COUNT(*) FROM runs WHERE sweep_id = "
                                  "sweeps.id) FROM sweeps WHERE name = ?1 AND spec_json = ?2 AND "
                                  "state != ",
                                  kSweepCancelled, " ORDER BY id DESC LIMIT 1")));
    find->Bind(1, spec.name).Bind(2, spec_json);
    MIXLAW_ASSIGN_OR_RETURN(bool found, find->Step());
    if (found) {
      SubmitResult result{find->Int(0), find->Int(1), true};
      find->Reset();
      return result;
    }
  }
  MIXLAW_ASSIGN_OR_RETURN(
      Statement * insert_sweep,
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

absl::StatusOr<v1::Sweep> Store::SweepSummary(Database& db, Statement* row) {
  v1::Sweep sweep;
  sweep.set_id(row->Int(0));
  sweep.set_name(row->Text(1));
  sweep.set_state(static_cast<v1::SweepState>(row->Int(2)));
  sweep.set_created_unix_ms(row->Int(3));
  sweep.set_spec_json(row->Text(4));
  if (!row->IsNull(5)) sweep.set_target_params(row->Double(5));
  MIXLAW_ASSIGN_OR_RETURN(
      Statement * counts,
      db.Prepare(absl::StrCat(
          "SELECT state, COUNT(*), SUM(CASE WHEN state IN ", kEnded,
          " THEN 1.0 WHEN total_steps > 0 THEN MIN(step, total_steps) * 1.0 / total_steps "
          "ELSE 0 END) FROM runs WHERE sweep_id = ?1 GROUP BY state ORDER BY state")));
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
  MutexLock lock(&read_mutex_);
  Database& db = *reader_;
  MIXLAW_ASSIGN_OR_RETURN(Statement * s,
                          db.Prepare("SELECT id, name, state, created_ms, spec_json, "
                                     "target_params FROM sweeps WHERE id = ?1"));
  s->Bind(1, sweep_id);
  MIXLAW_ASSIGN_OR_RETURN(bool found, s->Step());
  if (!found) return absl::NotFoundError(absl::StrCat("sweep ", sweep_id, " does not exist"));
  absl::StatusOr<v1::Sweep> sweep = SweepSummary(db, s);
  s->Reset();
  return sweep;
}

absl::StatusOr<std::vector<v1::Sweep>> Store::ListSweeps() {
  MutexLock lock(&read_mutex_);
  Database& db = *reader_;
  MIXLAW_ASSIGN_OR_RETURN(Statement * s,
                          db.Prepare("SELECT id, name, state, created_ms, spec_json, "
                                     "target_params FROM sweeps ORDER BY id"));
  std::vector<v1::Sweep> sweeps;
  while (true) {
    MIXLAW_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    MIXLAW_ASSIGN_OR_RETURN(v1::Sweep sweep, SweepSummary(db, s));
    sweep.clear_spec_json();
    sweeps.push_back(std::move(sweep));
  }
  s->Reset();
  return sweeps;
}

absl::StatusOr<std::vector<v1::Run>> Store::ListRuns(int64_t sweep_id, bool with_final_loss) {
  MutexLock lock(&read_mutex_);
  Database& db = *reader_;
  MIXLAW_RETURN_IF_ERROR(CheckSweepExists(db, sweep_id));
  MIXLAW_ASSIGN_OR_RETURN(Statement * s,
                          db.Prepare(absl::StrCat("SELECT ", kRunColumns,
                                                  " FROM runs WHERE sweep_id = ?1 ORDER BY id")));
  s->Bind(1, sweep_id);
  std::vector<v1::Run> runs;
  while (true) {
    MIXLAW_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    runs.push_back(RunFromRow(*s));
  }
  s->Reset();
  if (!with_final_loss) return runs;
  // The final loss of each evaluation split: its value at its last step, one index seek a run and
  // split (not a scan of the sweep's points).
  MIXLAW_ASSIGN_OR_RETURN(
      Statement * finals,
      db.Prepare("SELECT r.id, sp.name, m.loss FROM runs r CROSS JOIN splits sp JOIN metrics m "
                 "ON m.run_id = r.id AND m.split_id = sp.id AND m.step = (SELECT MAX(step) FROM "
                 "metrics WHERE run_id = r.id AND split_id = sp.id) WHERE r.sweep_id = ?1 AND "
                 "sp.name LIKE 'eval/%'"));
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
  MutexLock lock(&read_mutex_);
  Database& db = *reader_;
  MIXLAW_ASSIGN_OR_RETURN(
      Statement * s,
      db.Prepare("SELECT sp.name, m.step, m.loss, m.tokens, m.lr FROM metrics m JOIN splits sp "
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

absl::StatusOr<std::map<int64_t, std::map<std::string, v1::MetricPoint>>> Store::LatestPoints(
    int64_t sweep_id) {
  MutexLock lock(&read_mutex_);
  Database& db = *reader_;
  // MAX(step) over the key's (run_id, split_id) prefix is one index seek a pair, so that the
  // read does not scan every point of the sweep while leases wait on the lock.
  MIXLAW_ASSIGN_OR_RETURN(
      Statement * s,
      db.Prepare("SELECT r.id, sp.name, m.step, m.loss, m.tokens, m.lr FROM runs r CROSS JOIN "
                 "splits sp JOIN metrics m ON m.run_id = r.id AND m.split_id = sp.id AND "
                 "m.step = (SELECT MAX(step) FROM metrics WHERE run_id = r.id AND split_id = "
                 "sp.id) WHERE r.sweep_id = ?1"));
  s->Bind(1, sweep_id);
  std::map<int64_t, std::map<std::string, v1::MetricPoint>> latest;
  while (true) {
    MIXLAW_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    v1::MetricPoint& p = latest[s->Int(0)][s->Text(1)];
    p.set_split(s->Text(1));
    p.set_step(s->Int(2));
    p.set_loss(s->IsNull(3) ? std::nan("") : s->Double(3));
    p.set_tokens(s->Int(4));
    p.set_lr(s->Double(5));
  }
  s->Reset();
  return latest;
}

absl::StatusOr<std::map<double, int64_t>> Store::OpenRunsBySize(int64_t sweep_id) {
  MutexLock lock(&read_mutex_);
  Database& db = *reader_;
  MIXLAW_RETURN_IF_ERROR(CheckSweepExists(db, sweep_id));
  MIXLAW_ASSIGN_OR_RETURN(
      Statement * s, db.Prepare(absl::StrCat("SELECT params, SUM(state NOT IN ", kEnded,
                                             ") FROM runs WHERE sweep_id = ?1 GROUP BY params")));
  s->Bind(1, sweep_id);
  std::map<double, int64_t> open;
  while (true) {
    MIXLAW_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    open[s->Double(0)] = s->Int(1);
  }
  s->Reset();
  return open;
}

absl::StatusOr<int64_t> Store::CancelSweep(int64_t sweep_id, int64_t now_ms) {
  MutexLock lock(&mutex_);
  Transaction tx(db_.get());
  MIXLAW_RETURN_IF_ERROR(tx.Begin());
  MIXLAW_ASSIGN_OR_RETURN(
      Statement * s,
      db_->Prepare(absl::StrCat("UPDATE sweeps SET state = ", kSweepCancelled, " WHERE id = ?1")));
  s->Bind(1, sweep_id);
  MIXLAW_RETURN_IF_ERROR(s->Run());
  if (db_->changes() == 0) {
    return absl::NotFoundError(absl::StrCat("sweep ", sweep_id, " does not exist"));
  }
  MIXLAW_ASSIGN_OR_RETURN(
      Statement * pending,
      db_->Prepare(absl::StrCat("UPDATE runs SET state = ", kRunCancelled,
                                ", failure_reason = 'sweep cancelled', ",
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

absl::StatusOr<RunState> Store::StopRun(int64_t run_id, const std::string& reason, int64_t now_ms) {
  MutexLock lock(&mutex_);
  Transaction tx(db_.get());
  MIXLAW_RETURN_IF_ERROR(tx.Begin());
  MIXLAW_ASSIGN_OR_RETURN(Statement * read,
                          db_->Prepare("SELECT state, sweep_id FROM runs WHERE id = ?1"));
  read->Bind(1, run_id);
  MIXLAW_ASSIGN_OR_RETURN(bool found, read->Step());
  if (!found) {
    read->Reset();
    return absl::NotFoundError(absl::StrCat("run ", run_id, " does not exist"));
  }
  const RunState state = static_cast<RunState>(read->Int(0));
  const int64_t sweep_id = read->Int(1);
  read->Reset();
  if (IsTerminal(state)) return state;
  const std::string why = reason.empty() ? "stopped early" : reason;
  const bool held = state == v1::RUN_STATE_LEASED || state == v1::RUN_STATE_RUNNING;
  MIXLAW_ASSIGN_OR_RETURN(
      Statement * s,
      db_->Prepare(held
                       ? "UPDATE runs SET stop_requested = 1, failure_reason = ?2, updated_ms = ?3 "
                         "WHERE id = ?1"
                       : absl::StrCat("UPDATE runs SET state = ", kRunStopped,
                                      ", failure_reason = ?2, updated_ms = ?3 WHERE id = ?1")));
  s->Bind(1, run_id).Bind(2, why).Bind(3, now_ms);
  MIXLAW_RETURN_IF_ERROR(s->Run());
  if (!held) {
    MIXLAW_RETURN_IF_ERROR(
        FailDependents(run_id, absl::StrCat("dependency run ", run_id, " ended stopped"), now_ms));
    MIXLAW_RETURN_IF_ERROR(UpdateSweepState(sweep_id));
  }
  MIXLAW_RETURN_IF_ERROR(tx.Commit());
  Changed();
  return held ? state : v1::RUN_STATE_STOPPED;
}

absl::StatusOr<bool> Store::SweepEnded(int64_t sweep_id) {
  MutexLock lock(&mutex_);
  MIXLAW_ASSIGN_OR_RETURN(
      int64_t open,
      db_->QueryInt(absl::StrCat("SELECT (SELECT state FROM sweeps WHERE id = ?1) = ", kSweepActive,
                                 " OR EXISTS "
                                 "(SELECT 1 FROM runs WHERE sweep_id = ?1 AND state IN ",
                                 kHeld, ")"),
                    {sweep_id}));
  return open == 0;
}

}  // namespace mixlaw
