// mixlaw worker: leases runs and runs their trainers.
#include <algorithm>
#include <iostream>
#include <thread>

#include "absl/strings/str_split.h"
#include "cli/commands.h"
#include "kernels/device_info.h"
#include "worker/device_slots.h"
#include "worker/worker.h"

namespace mixlaw {

namespace {

struct WorkerFlags {
  ClientFlags client;
  std::string devices = "auto";
  std::string hostname;
  bool exit_when_idle = false;
  double terminate_grace_s = 10.0;
  int trainer_threads = 0;
  double failure_backoff_s = 2.0;
};

int RunWorker(const WorkerFlags& flags) {
  absl::StatusOr<ConnectionOptions> connection = ConnectionFromFlags(flags.client);
  if (!connection.ok()) {
    std::cerr << "mixlaw worker: " << connection.status().message() << "\n";
    return kExitUsage;
  }
  const std::vector<std::string> devices =
      flags.devices == "auto"
          ? DetectDevices()
          : std::vector<std::string>(absl::StrSplit(flags.devices, ',', absl::SkipEmpty()));
  absl::StatusOr<std::vector<DeviceSlot>> slots = DeviceSlots(devices);
  if (!slots.ok()) {
    std::cerr << "mixlaw worker: --devices: " << slots.status().message() << "\n";
    return kExitUsage;
  }
  WorkerOptions options;
  options.connection = *connection;
  options.hostname = flags.hostname;
  options.exit_when_idle = flags.exit_when_idle;
  options.self_exe = SelfExecutable();
  options.terminate_grace_ms = static_cast<int64_t>(flags.terminate_grace_s * 1000);
  options.trainer_threads = flags.trainer_threads;
  options.failure_backoff_ms = static_cast<int64_t>(flags.failure_backoff_s * 1000);
  InstallStopSignals();
  options.stop = &StopRequested();
  // One lease loop, with its own registration, for each device: a trainer per device at once.
  std::vector<int> codes(slots->size(), 0);
  std::vector<std::thread> loops;
  for (size_t i = 0; i < slots->size(); ++i) {
    WorkerOptions slot_options = options;
    slot_options.devices = (*slots)[i].devices;
    slot_options.cuda_visible_devices = (*slots)[i].cuda_visible_devices;
    if (slots->size() > 1) slot_options.log_name = "worker " + (*slots)[i].name;
    loops.emplace_back([slot_options, &codes, i] { codes[i] = Worker(slot_options).Run(); });
  }
  for (std::thread& loop : loops) loop.join();
  const bool all_ok = std::all_of(codes.begin(), codes.end(), [](int c) { return c == 0; });
  return all_ok ? kExitOk : kExitUnreachable;
}

}  // namespace

void AddWorkerCommand(CLI::App& app, int* exit_code) {
  static WorkerFlags flags;
  CLI::App* worker = app.add_subcommand(
      "worker", "Lease runs from an orchestrator and run their trainers as child processes");
  AddClientFlags(worker, &flags.client, /*json=*/false);
  worker
      ->add_option(
          "--devices", flags.devices,
          "Comma-separated devices (cpu, cuda, cuda:0, ...), or auto: the CPU and every GPU. "
          "Each runs its own lease loop: one trainer at a time on each, a cuda:N "
          "trainer seeing only GPU N (CUDA_VISIBLE_DEVICES)")
      ->capture_default_str();
  worker->add_option("--hostname", flags.hostname, "Name to register with (default: host name)");
  worker->add_flag("--exit-when-idle", flags.exit_when_idle,
                   "Exit once no sweep is active instead of waiting for more");
  worker
      ->add_option("--terminate-grace", flags.terminate_grace_s,
                   "Seconds a stopped trainer gets between SIGTERM and SIGKILL")
      ->capture_default_str();
  worker->add_option("--trainer-threads", flags.trainer_threads,
                     "OMP_NUM_THREADS for the builtin trainer (default: inherited)");
  worker
      ->add_option("--failure-backoff", flags.failure_backoff_s,
                   "Seconds to wait before the next lease after a run fails here, doubled for "
                   "each further failure in a row (up to 2 minutes, or this if longer); 0: no wait")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 86400.0));
  worker->callback([exit_code] { *exit_code = RunWorker(flags); });
}

}  // namespace mixlaw
