// mixlaw: sweeps ALMR x LR for continual pre-training, fits the coupling law, and recommends the
// mixture and learning rate for the target model size.
#include <csignal>
#include <iostream>
#include <thread>

#include "cli/commands.h"
#include "common/log.h"

namespace mixlaw {

std::atomic<bool>& StopRequested() {
  static std::atomic<bool> stop{false};
  return stop;
}

void InstallStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread([set] {
    int count = 0;
    while (true) {
      int sig = 0;
      if (sigwait(&set, &sig) != 0) continue;
      if (++count == 1) {
        MIXLAW_LOG(Info) << "received " << (sig == SIGINT ? "SIGINT" : "SIGTERM")
                         << ": stopping (again to exit at once)";
        StopRequested().store(true);
      } else {
        std::_Exit(130);
      }
    }
  }).detach();
}

std::string SelfExecutable() {
  std::error_code ec;
  auto path = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("mixlaw") : path.string();
}

}  // namespace mixlaw

int main(int argc, char** argv) {
  using namespace mixlaw;
  CLI::App app{"mixlaw: fit the ALMR-LR coupling law of continual pre-training on a small proxy "
               "sweep, and recommend the mixture and learning rate for the large model."};
  app.set_version_flag("--version", "mixlaw 0.1.0");
  app.require_subcommand(1);
  bool verbose = false, quiet = false;
  app.add_flag("-v,--verbose", verbose, "Log debugging detail");
  app.add_flag("-q,--quiet", quiet, "Log only errors");
  int exit_code = kExitOk;
  AddDemoCommand(app, &exit_code);
  AddSweepCommands(app, &exit_code);
  AddServeCommand(app, &exit_code);
  AddWorkerCommand(app, &exit_code);
  AddTrainCommand(app, &exit_code);
  AddDataCommand(app, &exit_code);
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
