// Tools on a store file besides the orchestrator: a consistent copy (SQLite's online backup) and
// a check of its integrity and of the store's own invariants. Each opens the file with a
// connection of its own and only reads it, so both work while an orchestrator serves the file
// (it holds the file's lock against a second orchestrator, not against readers).
#ifndef MIXLAW_ORCHESTRATOR_STORE_TOOLS_H_
#define MIXLAW_ORCHESTRATOR_STORE_TOOLS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace mixlaw {

// One broken invariant: which check, and what breaks it ("run 7 (d32/pretrain): ...").
struct StoreProblem {
  std::string check;
  std::string detail;
};

struct StoreCheck {
  int64_t sweeps = 0, runs = 0, points = 0;
  std::vector<std::string> checks;     // every check made, in order
  std::vector<StoreProblem> problems;  // empty: the store is consistent
};

// Checks the store at `path`: SQLite's integrity and foreign keys; and that run states agree with
// leases and attempts (a leased or running run has a worker and a lease expiry, no other has an
// expiry; attempts within 0..max_attempts, at least 1 once leased), no points belong to unknown
// runs or splits, a run was leased only after the run it depends on succeeded, and sweep states
// agree with their runs (a finished sweep has no unfinished run, an active one has some, a
// cancelled one none waiting). An error only when the file cannot be read as a store.
absl::StatusOr<StoreCheck> CheckStoreFile(const std::string& path);

struct StoreBackup {
  int64_t pages = 0;
  int64_t bytes = 0;
  int64_t handed_back = 0;  // leased or running runs at the moment of the copy
};

// Copies the store at `path` to `out` (which must not exist) as it is at one moment, then checks
// the copy's integrity; the copy appears under its name only when whole. The copy is a store an
// orchestrator can serve: a sweep resumes from it with everything committed before the copy. In
// the copy, the runs leased at that moment are handed back (pending, the attempt not counted),
// so that they train again from their last checkpoints rather than finish, under a lease from
// before the copy, with a gap where the points acknowledged after it were.
absl::StatusOr<StoreBackup> BackupStoreFile(const std::string& path, const std::string& out);

}  // namespace mixlaw

#endif  // MIXLAW_ORCHESTRATOR_STORE_TOOLS_H_
