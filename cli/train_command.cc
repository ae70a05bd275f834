// mixlaw train: the trainers that workers start, speaking docs/trainer-protocol.md.
#include <iostream>

#include "cli/commands.h"
#include "kernels/kernel_table.h"
#include "trainer/llama/llama_trainer.h"
#include "trainer/protocol.h"
#include "trainer/run_config.h"
#include "trainer/synthetic_trainer.h"

namespace mixlaw {

namespace {

struct TrainFlags {
  std::string config;
  bool synthetic = false;
};

int RunTrain(const TrainFlags& flags) {
  absl::StatusOr<RunConfig> config = LoadRunConfig(flags.config);
  if (!config.ok()) {
    std::cerr << "mixlaw train: " << config.status().message() << "\n";
    return kTrainerExitUsage;
  }
  if (flags.synthetic) return RunSyntheticTrainer(*config, std::cout, std::cerr);
  if (config->device != "cpu") {
    std::cerr << "mixlaw train: device '" << config->device << "': this build trains on cpu\n";
    return kTrainerExitUsage;
  }
  absl::StatusOr<TrainingData> data = LoadTrainingData(*config);
  if (!data.ok()) {
    std::cerr << "mixlaw train: " << data.status().message() << "\n";
    return kTrainerExitUsage;
  }
  return RunLlamaTrainer(*config, *data, CpuKernels(), std::cout, std::cerr);
}

}  // namespace

void AddTrainCommand(CLI::App& app, int* exit_code) {
  static TrainFlags flags;
  CLI::App* train = app.add_subcommand(
      "train",
      "Train one run from its RUN.json (the builtin Llama trainer), printing protocol "
      "lines on stdout");
  train->add_option("--config", flags.config, "The run's RUN.json")->required();
  train->add_flag("--synthetic", flags.synthetic,
                  "Draw losses from the synthetic law instead of training the Llama model "
                  "(tests, dry runs)");
  train->callback([exit_code] { *exit_code = RunTrain(flags); });
}

}  // namespace mixlaw
