#include "orchestrator/store_tools.h"

#include <unistd.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "orchestrator/sqlite.h"
#include "orchestrator/store_internal.h"
#include "orchestrator/store_schema.h"

namespace mixlaw {

using namespace store_internal;  // NOLINT: the store's own state names

namespace {

// The file at `path` as a store, opened without creating it; refused when it is not a store.
absl::StatusOr<std::unique_ptr<Database>> OpenStoreFile(const std::string& path) {
  MIXLAW_ASSIGN_OR_RETURN(std::unique_ptr<Database> db, Database::Open(path, true));
  // A busy writer (an orchestrator serving the file) makes a reader wait, not fail.
  sqlite3_busy_timeout(db->handle(), 10000);
  absl::StatusOr<int64_t> id = db->QueryInt("PRAGMA application_id");
  if (!id.ok() || *id != kStoreApplicationId) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": not a mixlaw store",
                     id.ok() ? "" : absl::StrCat(" (", id.status().message(), ")")));
  }
  return db;
}

// One invariant as a query: each row it returns breaks it, and is its description.
struct Invariant {
  const char* name;
  std::string sql;
};

std::vector<Invariant> Invariants() {
  const std::string run = "'run ' || r.id || ' (' || r.name || ')'";
  return {
      {"a leased or running run has a worker and a lease expiry",
       absl::StrCat("SELECT ", run, " || ': state ' || r.state || ', worker ''' || r.worker_id ",
                    "|| ''', lease expiry ' || COALESCE(r.lease_expires_ms, 'none') FROM runs r ",
                    "WHERE r.state IN ", kHeld,
                    " AND (r.worker_id = '' OR r.lease_expires_ms IS NULL)")},
      {"no other run holds a lease",
       absl::StrCat("SELECT ", run, " || ': state ' || r.state || ' with a lease until ' || ",
                    "r.lease_expires_ms FROM runs r WHERE r.state NOT IN ", kHeld,
                    " AND r.lease_expires_ms IS NOT NULL")},
      {"attempts are within 0 to max_attempts, and at least 1 once leased",
       absl::StrCat("SELECT ", run, " || ': ' || r.attempts || ' attempts of ' || ",
                    "r.max_attempts || ', state ' || r.state FROM runs r WHERE r.attempts < 0 OR ",
                    "r.attempts > r.max_attempts OR (r.state IN (", kRunLeased, ", ", kRunRunning,
                    ", ", kRunSucceeded, ") AND r.attempts < 1)")},
      {"every state is a known one",
       absl::StrCat("SELECT ", run, " || ': state ' || r.state FROM runs r WHERE r.state NOT IN ",
                    kUnfinished, " AND r.state NOT IN ", kEnded,
                    " UNION ALL SELECT 'sweep ' || id || ': state ' || state FROM sweeps WHERE "
                    "state NOT IN (",
                    kSweepActive, ", ", kSweepFinished, ", ", kSweepCancelled, ")")},
      {"points belong to known runs and splits",
       "SELECT COUNT(*) || ' points of ' || CASE WHEN r.id IS NULL THEN 'unknown run ' || "
       "m.run_id ELSE 'run ' || m.run_id || ', split ' || m.split_id || ' unknown' END FROM "
       "metrics m LEFT JOIN runs r ON r.id = m.run_id LEFT JOIN splits sp ON sp.id = m.split_id "
       "WHERE r.id IS NULL OR sp.id IS NULL GROUP BY m.run_id, m.split_id"},
      {"a run is leased only after the run it depends on succeeded, in its own sweep",
       absl::StrCat("SELECT ", run, " || ': state ' || r.state || ', depends on run ' || d.id || ",
                    "' (sweep ' || d.sweep_id || ', state ' || d.state || ')' FROM runs r JOIN "
                    "runs d ON d.id = r.depends_on WHERE d.sweep_id != r.sweep_id OR (r.state IN (",
                    kRunLeased, ", ", kRunRunning, ", ", kRunSucceeded,
                    ") AND d.state != ", kRunSucceeded, ")")},
      {"a finished sweep has no unfinished run",
       absl::StrCat("SELECT 'sweep ' || s.id || ' (' || s.name || '): finished with ' || ",
                    "(SELECT COUNT(*) FROM runs WHERE sweep_id = s.id AND state IN ", kUnfinished,
                    ") || ' unfinished runs' FROM sweeps s WHERE s.state = ", kSweepFinished,
                    " AND EXISTS (SELECT 1 FROM runs WHERE sweep_id = s.id AND state IN ",
                    kUnfinished, ")")},
      {"an active sweep has a run to finish",
       absl::StrCat("SELECT 'sweep ' || s.id || ' (' || s.name || '): active, every run ended' ",
                    "FROM sweeps s WHERE s.state = ", kSweepActive,
                    " AND NOT EXISTS (SELECT 1 FROM runs WHERE sweep_id = s.id AND state IN ",
                    kUnfinished, ")")},
      {"a cancelled sweep has no run waiting to be leased",
       absl::StrCat("SELECT 'sweep ' || s.id || ' (' || s.name || '): cancelled with ' || ",
                    "(SELECT COUNT(*) FROM runs WHERE sweep_id = s.id AND state IN ", kLeasable,
                    ") || ' runs waiting' FROM sweeps s WHERE s.state = ", kSweepCancelled,
                    " AND EXISTS (SELECT 1 FROM runs WHERE sweep_id = s.id AND state IN ",
                    kLeasable, ")")},
  };
}

// Every row of a one-column query, as text; at most `limit` of them, and a count of the rest.
absl::StatusOr<std::vector<std::string>> Rows(Database& db, const std::string& sql, size_t limit) {
  MIXLAW_ASSIGN_OR_RETURN(Statement * s, db.Prepare(sql));
  std::vector<std::string> rows;
  size_t more = 0;
  while (true) {
    MIXLAW_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    if (rows.size() < limit) {
      rows.push_back(s->Text(0));
    } else {
      ++more;
    }
  }
  s->Reset();
  if (more > 0) rows.push_back(absl::StrCat("and ", more, " more"));
  return rows;
}

}  // namespace

absl::StatusOr<StoreCheck> CheckStoreFile(const std::string& path) {
  MIXLAW_ASSIGN_OR_RETURN(std::unique_ptr<Database> db, OpenStoreFile(path));
  constexpr size_t kShown = 20;  // problems listed per check
  StoreCheck check;
  // One read transaction: every check sees the same moment, even while an orchestrator writes.
  MIXLAW_RETURN_IF_ERROR(db->Exec("BEGIN"));
  auto add = [&](const char* name, const std::vector<std::string>& rows) {
    check.checks.push_back(name);
    for (const std::string& r : rows) check.problems.push_back({name, r});
  };
  MIXLAW_ASSIGN_OR_RETURN(std::vector<std::string> integrity,
                          Rows(*db, "PRAGMA integrity_check", kShown));
  if (integrity.size() == 1 && integrity[0] == "ok") integrity.clear();
  add("SQLite integrity", integrity);
  MIXLAW_ASSIGN_OR_RETURN(
      std::vector<std::string> keys,
      Rows(*db,
           "SELECT \"table\" || ' row ' || COALESCE(rowid, '?') || ' refers to a missing ' || "
           "parent FROM pragma_foreign_key_check",
           kShown));
  add("foreign keys", keys);
  for (const Invariant& i : Invariants()) {
    MIXLAW_ASSIGN_OR_RETURN(std::vector<std::string> rows, Rows(*db, i.sql, kShown));
    add(i.name, rows);
  }
  MIXLAW_ASSIGN_OR_RETURN(check.sweeps, db->QueryInt("SELECT COUNT(*) FROM sweeps"));
  MIXLAW_ASSIGN_OR_RETURN(check.runs, db->QueryInt("SELECT COUNT(*) FROM runs"));
  MIXLAW_ASSIGN_OR_RETURN(check.points, db->QueryInt("SELECT COUNT(*) FROM metrics"));
  MIXLAW_RETURN_IF_ERROR(db->Exec("COMMIT"));
  return check;
}

absl::StatusOr<StoreBackup> BackupStoreFile(const std::string& path, const std::string& out) {
  if (access(out.c_str(), F_OK) == 0) {
    return absl::AlreadyExistsError(absl::StrCat(out, ": exists; a backup never overwrites"));
  }
  MIXLAW_ASSIGN_OR_RETURN(std::unique_ptr<Database> source, OpenStoreFile(path));
  // Written beside the target under a name of its own, renamed once whole and checked.
  const std::string partial = absl::StrCat(out, ".partial-", getpid());
  std::error_code ec;
  std::filesystem::remove(partial, ec);
  StoreBackup result;
  {
    MIXLAW_ASSIGN_OR_RETURN(std::unique_ptr<Database> copy, Database::Open(partial));
    sqlite3_backup* backup = sqlite3_backup_init(copy->handle(), "main", source->handle(), "main");
    if (backup == nullptr) {
      std::filesystem::remove(partial, ec);
      return absl::InternalError(
          absl::StrCat(out, ": cannot start the backup: ", sqlite3_errmsg(copy->handle())));
    }
    // One step copies every page inside one read transaction of the source: the copy is the
    // store at one moment. A writer holding the file makes the step wait (busy timeout), not fail.
    int rc = sqlite3_backup_step(backup, -1);
    result.pages = sqlite3_backup_pagecount(backup);
    sqlite3_backup_finish(backup);
    if (rc != SQLITE_DONE) {
      std::filesystem::remove(partial, ec);
      return absl::UnavailableError(
          absl::StrCat(path, ": the backup did not finish: ", sqlite3_errstr(rc)));
    }
    // The copy's leases are handed back: an orchestrator serving the copy leases those runs
    // again (from their last checkpoints), and refuses the workers that held them, whose points
    // since the copy it does not have, instead of letting them finish a run with a gap.
    absl::Status released = copy->Exec(
        absl::StrCat("UPDATE runs SET state = ", kRunPending,
                     ", attempts = MAX(0, attempts - 1), lease_expires_ms = NULL, failure_reason = "
                     "'handed back by a backup' WHERE state IN ",
                     kHeld));
    if (!released.ok()) {
      std::filesystem::remove(partial, ec);
      return released;
    }
    result.handed_back = copy->changes();
    absl::StatusOr<std::optional<std::string>> integrity =
        copy->QueryText("PRAGMA integrity_check");
    if (!integrity.ok() || !integrity->has_value() || **integrity != "ok") {
      std::filesystem::remove(partial, ec);
      return absl::DataLossError(absl::StrCat(out, ": the copy failed its integrity check"));
    }
  }
  std::filesystem::rename(partial, out, ec);
  if (ec) {
    std::filesystem::remove(partial, ec);
    return absl::InternalError(
        absl::StrCat(out, ": cannot rename the finished copy: ", ec.message()));
  }
  result.bytes = static_cast<int64_t>(std::filesystem::file_size(out, ec));
  return result;
}

}  // namespace mixlaw
