// A thin RAII layer over the SQLite C API: a connection with a cache of prepared statements.
// Not thread-safe: the store serialises every use behind its mutex.
#ifndef MIXLAW_ORCHESTRATOR_SQLITE_H_
#define MIXLAW_ORCHESTRATOR_SQLITE_H_

#include <sqlite3.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "orchestrator/metrics.h"

namespace mixlaw {

// The status for SQLite result `code`: RESOURCE_EXHAUSTED for a full disk, UNAVAILABLE for I/O
// errors and a busy file, INTERNAL otherwise; `message` says what failed.
absl::Status SqliteError(int code, std::string_view message);

// A prepared statement, reset and rebound on each use.
class Statement {
 public:
  explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Binds parameter `index` (1-based). A nullopt binds NULL.
  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, int value) { return Bind(index, static_cast<int64_t>(value)); }
  Statement& Bind(int index, double value);
  Statement& Bind(int index, std::string_view value);
  Statement& Bind(int index, const char* value) { return Bind(index, std::string_view(value)); }
  Statement& Bind(int index, const std::string& value) {
    return Bind(index, std::string_view(value));
  }
  Statement& BindNull(int index);

  // Advances: true when a row is ready, false when done; an error otherwise.
  absl::StatusOr<bool> Step();
  // Runs a statement that returns no rows.
  absl::Status Run();

  int64_t Int(int column) const { return sqlite3_column_int64(stmt_, column); }
  double Double(int column) const { return sqlite3_column_double(stmt_, column); }
  bool IsNull(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }
  std::string Text(int column) const;

  // Clears bindings and rewinds, ready for the next use.
  void Reset();

 private:
  sqlite3_stmt* stmt_;
};

class Database {
 public:
  // Opens the file at `path`, creating it when absent unless `existing_only` (then a missing file
  // is NotFound).
  static absl::StatusOr<std::unique_ptr<Database>> Open(const std::string& path,
                                                        bool existing_only = false);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs one or more statements that return no rows.
  absl::Status Exec(std::string_view sql);
  // The cached statement for `sql`, reset and unbound.
  absl::StatusOr<Statement*> Prepare(const std::string& sql);
  // The first column of the first row of `sql` (cached like Prepare's, with ?1, ?2, ... bound to
  // `params` in order; ids go there, not into the SQL, so that the cache stays bounded), as text
  // (nullopt when there is no row) or as an integer (0 when there is none). The statement is
  // reset after the read, so it holds no read transaction open.
  absl::StatusOr<std::optional<std::string>> QueryText(const std::string& sql,
                                                       std::initializer_list<int64_t> params = {});
  absl::StatusOr<int64_t> QueryInt(const std::string& sql,
                                   std::initializer_list<int64_t> params = {});

  int64_t changes() const { return sqlite3_changes64(db_); }
  // Where each committed transaction's time from BEGIN to COMMIT is recorded (none: null).
  // `histogram` must outlive the database.
  void set_transaction_histogram(LatencyHistogram* histogram) { histogram_ = histogram; }
  LatencyHistogram* transaction_histogram() const { return histogram_; }
  size_t cached_statements() const { return statements_.size(); }
  sqlite3* handle() { return db_; }

  // An error status naming `what` and SQLite's message for `code`.
  absl::Status Error(int code, std::string_view what) const;

 private:
  // Prepare(sql) with `params` bound and stepped once: the row's statement, or null when there
  // is no row.
  absl::StatusOr<Statement*> QueryRow(const std::string& sql,
                                      std::initializer_list<int64_t> params);
  explicit Database(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::map<std::string, std::unique_ptr<Statement>> statements_;
  LatencyHistogram* histogram_ = nullptr;
};

// BEGIN IMMEDIATE at Begin(), COMMIT at Commit(); destroyed after a Begin() without a successful
// Commit() (an early return on an error), it rolls back.
class Transaction {
 public:
  explicit Transaction(Database* db) : db_(db) {}
  ~Transaction();
  absl::Status Begin();
  absl::Status Commit();

 private:
  Database* db_;
  bool open_ = false;
  std::chrono::steady_clock::time_point begun_;
};

}  // namespace mixlaw

#endif  // MIXLAW_ORCHESTRATOR_SQLITE_H_
