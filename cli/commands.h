// The mixlaw subcommands. Each Add*Command registers a subcommand on `app` whose callback stores
// its process exit code in `*exit_code`.
#ifndef MIXLAW_CLI_COMMANDS_H_
#define MIXLAW_CLI_COMMANDS_H_

#include <atomic>
#include <string>

#include "CLI/CLI.hpp"
#include "orchestrator/client.h"

namespace mixlaw {

// Exit codes of every command (docs/cli.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;  // something failed while working
inline constexpr int kExitUsage = 2;  // a bad command line or a refused input file
inline constexpr int kExitUnreachable =
    3;  // the orchestrator cannot be reached or refused the token
inline constexpr int kExitRunsFailed = 4;  // the sweep ended with failed or cancelled runs

// Options shared by commands that talk to an orchestrator.
struct ClientFlags {
  std::string orchestrator = "127.0.0.1:7600";
  std::string token_file;
  std::string tls_ca;
  bool json = false;
};

// Adds --orchestrator, --token-file, --tls-ca and (with `json`) --json to `command`.
void AddClientFlags(CLI::App* command, ClientFlags* flags, bool json = true);
// Builds connection options from the flags; the error names a bad token file.
absl::StatusOr<ConnectionOptions> ConnectionFromFlags(const ClientFlags& flags);
// The exit code for a failed call: kExitUnreachable for transport and auth errors, else kExitError.
int ExitCodeFor(const grpc::Status& status);
// The same for an absl status code.
int ExitCodeForCode(absl::StatusCode code);
// The exit code for an input file (CSV, FIT.json) that could not be read: kExitError when it is
// missing, else kExitUsage (the file was refused).
int ExitCodeForInputFile(absl::StatusCode code);

// A flag raised by SIGINT or SIGTERM (after InstallStopSignals).
std::atomic<bool>& StopRequested();
// Raises StopRequested() on the first SIGINT or SIGTERM; a second one exits at once (code 130).
void InstallStopSignals();

void AddServeCommand(CLI::App& app, int* exit_code);
void AddWorkerCommand(CLI::App& app, int* exit_code);
void AddSweepCommands(CLI::App& app, int* exit_code);
void AddTrainCommand(CLI::App& app, int* exit_code);
void AddDataCommand(CLI::App& app, int* exit_code);
void AddDemoCommand(CLI::App& app, int* exit_code);
void AddFitCommand(CLI::App& app, int* exit_code);
void AddRecommendCommand(CLI::App& app, int* exit_code);
void AddReportCommand(CLI::App& app, int* exit_code);
void AddDbCommand(CLI::App& app, int* exit_code);
void AddStudyCommand(CLI::App& app, int* exit_code);

// The path of the running mixlaw binary.
std::string SelfExecutable();

}  // namespace mixlaw

#endif  // MIXLAW_CLI_COMMANDS_H_
