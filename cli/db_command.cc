// `mixlaw db check` and `mixlaw db backup`: the store's tools (orchestrator/store_tools.h) on a
// store file, also while an orchestrator serves it.
#include <iostream>

#include "cli/commands.h"
#include "nlohmann/json.hpp"
#include "orchestrator/store_tools.h"

namespace mixlaw {

namespace {

struct DbFlags {
  std::string db;
  std::string out;
  bool json = false;
};

int Check(const DbFlags& f) {
  absl::StatusOr<StoreCheck> check = CheckStoreFile(f.db);
  if (!check.ok()) {
    std::cerr << "mixlaw db check: " << check.status().message() << "\n";
    return ExitCodeForInputFile(check.status().code());
  }
  if (f.json) {
    nlohmann::json problems = nlohmann::json::array();
    for (const StoreProblem& p : check->problems) {
      problems.push_back({{"check", p.check}, {"problem", p.detail}});
    }
    std::cout << nlohmann::json{{"db", f.db},
                                {"sweeps", check->sweeps},
                                {"runs", check->runs},
                                {"points", check->points},
                                {"checks", check->checks},
                                {"problems", problems},
                                {"ok", check->problems.empty()}}
                     .dump(2)
              << "\n";
  } else {
    std::cout << f.db << ": " << check->sweeps << " sweeps, " << check->runs << " runs, "
              << check->points << " points; " << check->checks.size() << " checks\n";
    for (const StoreProblem& p : check->problems) {
      std::cout << "  problem: " << p.check << ": " << p.detail << "\n";
    }
    std::cout << (check->problems.empty() ? "consistent"
                                          : std::to_string(check->problems.size()) + " problems")
              << "\n";
  }
  return check->problems.empty() ? kExitOk : kExitError;
}

int Backup(const DbFlags& f) {
  absl::StatusOr<StoreBackup> backup = BackupStoreFile(f.db, f.out);
  if (!backup.ok()) {
    std::cerr << "mixlaw db backup: " << backup.status().message() << "\n";
    return backup.status().code() == absl::StatusCode::kFailedPrecondition ||
                   backup.status().code() == absl::StatusCode::kAlreadyExists
               ? kExitUsage
               : kExitError;
  }
  if (f.json) {
    std::cout << nlohmann::json{{"db", f.db},
                                {"backup", f.out},
                                {"pages", backup->pages},
                                {"bytes", backup->bytes},
                                {"handed_back", backup->handed_back}}
                     .dump(2)
              << "\n";
  } else {
    std::cout << f.out << ": a copy of " << f.db << " (" << backup->pages << " pages, "
              << backup->bytes << " bytes), integrity checked; " << backup->handed_back
              << " leased runs handed back in the copy, to train again from their checkpoints\n";
  }
  return kExitOk;
}

}  // namespace

void AddDbCommand(CLI::App& app, int* exit_code) {
  static DbFlags f;
  CLI::App* db =
      app.add_subcommand("db", "Check or back up a store file (also while it is served)");
  db->require_subcommand(1);

  CLI::App* check = db->add_subcommand(
      "check", "Check the store's integrity and invariants; exit 1 when a problem is found");
  check->add_option("--db", f.db, "The store file")->required();
  check->add_flag("--json", f.json, "Print the checks and problems as JSON");
  check->callback([exit_code] { *exit_code = Check(f); });

  CLI::App* backup = db->add_subcommand(
      "backup", "Copy the store as it is at one moment (SQLite's online backup) to OUT");
  backup->add_option("--db", f.db, "The store file")->required();
  backup->add_option("OUT", f.out, "The copy's path; must not exist")->required();
  backup->add_flag("--json", f.json, "Print the result as JSON");
  backup->callback([exit_code] { *exit_code = Backup(f); });
}

}  // namespace mixlaw
