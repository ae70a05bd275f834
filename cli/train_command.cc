// mixlaw train: the trainers that workers start, speaking docs/trainer-protocol.md.
#include <algorithm>
#include <cstdlib>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "common/device_name.h"
#include "kernels/device_info.h"
#include "kernels/kernel_table.h"
#include "trainer/llama/llama_trainer.h"
#include "trainer/protocol.h"
#include "trainer/run_config.h"
#include "trainer/synthetic_trainer.h"

namespace mixlaw {

namespace {

struct TrainFlags {
  std::string config;
  std::string device;  // overrides RUN.json's device when given
  bool synthetic = false;
};

// The kernel table for `device_text` and `precision` (training.precision), with its GPU made
// current; a message when this process cannot train so (bf16 on the CPU, no CUDA backend, no
// GPU, no GPU of that index).
absl::StatusOr<const KernelTable*> KernelsFor(const std::string& device_text,
                                              const std::string& precision) {
  absl::StatusOr<DeviceName> device = ParseDeviceName(device_text);
  if (!device.ok()) return device.status();
  if (!device->is_cuda()) {
    if (precision == "bf16") {
      return absl::InvalidArgumentError(
          "training.precision bf16 needs a cuda device: the CPU backend trains in fp32");
    }
    return &CpuKernels();
  }
  std::string why_none;
  const int count = CudaDeviceCount(&why_none);
  if (count == 0) {
    const char* visible = std::getenv("CUDA_VISIBLE_DEVICES");
    return absl::FailedPreconditionError(absl::StrCat(
        "device ", device_text, ": no GPU to train on (", why_none,
        visible == nullptr ? "" : absl::StrCat("; CUDA_VISIBLE_DEVICES=", visible), ")"));
  }
  const int index = std::max(device->index, 0);
  if (index >= count) {
    return absl::FailedPreconditionError(absl::StrCat(
        "device ", device_text, ": this process sees ", count, " GPU", count == 1 ? "" : "s"));
  }
  std::string error;
  if (!UseCudaDevice(index, &error)) return absl::FailedPreconditionError(error);
#ifdef MIXLAW_HAVE_CUDA
  return precision == "fp32" ? &CudaKernels() : &CudaBf16Kernels();  // auto: bf16 on a GPU
#else
  return absl::FailedPreconditionError("no CUDA backend");  // CudaDeviceCount is 0 here
#endif
}

int RunTrain(const TrainFlags& flags) {
  absl::StatusOr<RunConfig> config = LoadRunConfig(flags.config);
  if (!config.ok()) {
    std::cerr << "mixlaw train: " << config.status().message() << "\n";
    return kTrainerExitUsage;
  }
  if (!flags.device.empty()) config->device = flags.device;
  if (flags.synthetic) return RunSyntheticTrainer(*config, std::cout, std::cerr);
  // Before the data: a run that cannot have its device fails at once.
  absl::StatusOr<const KernelTable*> kernels =
      KernelsFor(config->device, config->training.precision);
  if (!kernels.ok()) {
    std::cerr << "mixlaw train: " << kernels.status().message() << "\n";
    return kTrainerExitUsage;
  }
  absl::StatusOr<TrainingData> data = LoadTrainingData(*config);
  if (!data.ok()) {
    std::cerr << "mixlaw train: " << data.status().message() << "\n";
    return kTrainerExitUsage;
  }
  return RunLlamaTrainer(*config, *data, **kernels, std::cout, std::cerr);
}

}  // namespace

void AddTrainCommand(CLI::App& app, int* exit_code) {
  static TrainFlags flags;
  CLI::App* train = app.add_subcommand(
      "train",
      "Train one run from its RUN.json (the builtin Llama trainer), printing protocol "
      "lines on stdout");
  train->add_option("--config", flags.config, "The run's RUN.json")->required();
  train->add_option("--device", flags.device,
                    "cpu, cuda or cuda:N: where to train, in place of RUN.json's device (a GPU "
                    "of those CUDA_VISIBLE_DEVICES shows; cuda is the first)");
  train->add_flag("--synthetic", flags.synthetic,
                  "Draw losses from the synthetic law instead of training the Llama model "
                  "(tests, dry runs)");
  train->callback([exit_code] { *exit_code = RunTrain(flags); });
}

}  // namespace mixlaw
