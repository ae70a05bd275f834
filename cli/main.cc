// mixlaw: sweeps ALMR x LR for continual pre-training, fits the coupling law, and recommends the
// mixture and learning rate for the target model size.
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <thread>

#include "cli/commands.h"
#include "common/log.h"

namespace mixlaw {

std::atomic<bool>& StopRequested() {
  static std::atomic<bool> stop{false};
  return stop;
}

namespace {

// Async-signal-safe: sets the flag on the first signal, exits on the second.
void OnStopSignal(int sig) {
  static std::atomic<int> count{0};  // lock-free, so safe in a handler
  if (count.fetch_add(1) > 0) _exit(130);
  const char* message = sig == SIGINT ? "received SIGINT: stopping (again to exit at once)\n"
                                      : "received SIGTERM: stopping (again to exit at once)\n";
  ssize_t ignored = write(STDERR_FILENO, message, strlen(message));
  (void)ignored;
  StopRequested().store(true);
}

}  // namespace

void InstallStopSignals() {
  // A handler rather than a blocked mask and sigwait: libraries (OpenBLAS, for one) start threads
  // before main, and a signal delivered to one of those must still stop us cleanly.
  struct sigaction action {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

std::string SelfExecutable() {
  std::error_code ec;
  auto path = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "mixlaw";
  // Replaced on disk while this process runs (a rebuild, an upgrade): the link still reaches the
  // image this process runs, so trainers started later run the same code.
  if (!std::filesystem::exists(path, ec)) return "/proc/self/exe";
  return path.string();
}

}  // namespace mixlaw

int main(int argc, char** argv) {
  using namespace mixlaw;
  CLI::App app{
      "mixlaw: fit the ALMR-LR coupling law of continual pre-training on a small proxy "
      "sweep, and recommend the mixture and learning rate for the large model."};
  app.set_version_flag("--version", "mixlaw 0.1.0");
  app.require_subcommand(1);
  bool verbose = false, quiet = false;
  app.add_flag("-v,--verbose", verbose, "Log debugging detail");
  app.add_flag("-q,--quiet", quiet, "Log only errors");
  int exit_code = kExitOk;
  AddDemoCommand(app, &exit_code);
  AddStudyCommand(app, &exit_code);
  AddSweepCommands(app, &exit_code);
  AddServeCommand(app, &exit_code);
  AddWorkerCommand(app, &exit_code);
  AddTrainCommand(app, &exit_code);
  AddDataCommand(app, &exit_code);
  AddFitCommand(app, &exit_code);
  AddRecommendCommand(app, &exit_code);
  AddReportCommand(app, &exit_code);
  AddDbCommand(app, &exit_code);
  app.parse_complete_callback([&] {
    if (verbose) SetLogLevel(LogLevel::kDebug);
    if (quiet) SetLogLevel(LogLevel::kError);
  });
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  return exit_code;
}
