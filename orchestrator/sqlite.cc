#include "orchestrator/sqlite.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"

namespace mixlaw {

Statement& Statement::Bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

Statement& Statement::Bind(int index, double value) {
  sqlite3_bind_double(stmt_, index, value);
  return *this;
}

Statement& Statement::Bind(int index, std::string_view value) {
  sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::BindNull(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

absl::Status SqliteError(int code, std::string_view message_view) {
  const std::string message(message_view);
  switch (code & 0xff) {
    case SQLITE_FULL:
      // The transaction rolled back: nothing it would have acknowledged was, nothing earlier is
      // lost, and reads go on.
      return absl::ResourceExhaustedError(
          absl::StrCat("store: the disk is full (", message,
                       "): writes are refused until there is space; what was stored is kept"));
    case SQLITE_IOERR:
    case SQLITE_BUSY:
      return absl::UnavailableError(absl::StrCat("store: ", message));
    default:
      return absl::InternalError(absl::StrCat("store: ", message));
  }
}

absl::StatusOr<bool> Statement::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  absl::Status status = SqliteError(rc, sqlite3_errmsg(sqlite3_db_handle(stmt_)));
  sqlite3_reset(stmt_);
  return status;
}

absl::Status Statement::Run() {
  absl::StatusOr<bool> row = Step();
  if (!row.ok()) return row.status();
  return absl::OkStatus();
}

std::string Statement::Text(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  if (text == nullptr) return "";
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

absl::StatusOr<std::unique_ptr<Database>> Database::Open(const std::string& path,
                                                         bool existing_only) {
  if (existing_only && access(path.c_str(), F_OK) != 0) {
    return absl::NotFoundError(absl::StrCat(path, ": no such file"));
  }
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &db,
      SQLITE_OPEN_READWRITE | (existing_only ? 0 : SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX,
      nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return absl::FailedPreconditionError(absl::StrCat(path, ": cannot open: ", message));
  }
  sqlite3_extended_result_codes(db, 1);
  return std::unique_ptr<Database>(new Database(db));
}

Database::~Database() {
  statements_.clear();
  sqlite3_close(db_);
}

absl::Status Database::Error(int code, std::string_view what) const {
  return SqliteError(code, absl::StrCat(std::string(what), ": ", sqlite3_errstr(code), " (",
                                        sqlite3_errmsg(db_), ")"));
}

absl::Status Database::Exec(std::string_view sql) {
  char* message = nullptr;
  int rc = sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    std::string text = message != nullptr ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    return SqliteError(rc, text);
  }
  return absl::OkStatus();
}

absl::StatusOr<Statement*> Database::Prepare(const std::string& sql) {
  auto it = statements_.find(sql);
  if (it != statements_.end()) {
    it->second->Reset();
    return it->second.get();
  }
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return Error(rc, "preparing a statement");
  auto inserted = statements_.emplace(sql, std::make_unique<Statement>(stmt));
  return inserted.first->second.get();
}

absl::StatusOr<Statement*> Database::QueryRow(const std::string& sql,
                                              std::initializer_list<int64_t> params) {
  absl::StatusOr<Statement*> stmt = Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  int index = 1;
  for (int64_t p : params) (*stmt)->Bind(index++, p);
  absl::StatusOr<bool> row = (*stmt)->Step();
  if (!row.ok()) {
    (*stmt)->Reset();
    return row.status();
  }
  if (!*row) {
    (*stmt)->Reset();
    return nullptr;
  }
  return *stmt;
}

absl::StatusOr<std::optional<std::string>> Database::QueryText(
    const std::string& sql, std::initializer_list<int64_t> params) {
  absl::StatusOr<Statement*> row = QueryRow(sql, params);
  if (!row.ok()) return row.status();
  std::optional<std::string> result;
  if (*row != nullptr) {
    result = (*row)->Text(0);
    (*row)->Reset();
  }
  return result;
}

absl::StatusOr<int64_t> Database::QueryInt(const std::string& sql,
                                           std::initializer_list<int64_t> params) {
  absl::StatusOr<Statement*> row = QueryRow(sql, params);
  if (!row.ok()) return row.status();
  if (*row == nullptr) return 0;
  const int64_t result = (*row)->Int(0);
  (*row)->Reset();
  return result;
}

Transaction::~Transaction() {
  if (open_) db_->Exec("ROLLBACK").IgnoreError();
}

absl::Status Transaction::Begin() {
  begun_ = std::chrono::steady_clock::now();
  absl::Status s = db_->Exec("BEGIN IMMEDIATE");
  open_ = s.ok();
  return s;
}

absl::Status Transaction::Commit() {
  absl::Status s = db_->Exec("COMMIT");
  if (!s.ok()) return s;
  open_ = false;
  if (LatencyHistogram* h = db_->transaction_histogram()) {
    h->Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - begun_).count());
  }
  return s;
}

}  // namespace mixlaw
