// Turns a lease into the trainer's command line.
#ifndef MIXLAW_WORKER_TRAINER_COMMAND_H_
#define MIXLAW_WORKER_TRAINER_COMMAND_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace mixlaw {

// Replaces each {placeholder} of an exec template with its shell-quoted value from the run
// config (docs/trainer-protocol.md lists them); {config} is `config_path`.
absl::StatusOr<std::string> ExpandCommandTemplate(const std::string& command_template,
                                                  const nlohmann::json& run_config,
                                                  const std::string& config_path);

// The argv that runs the trainer of `kind` ("synthetic", "builtin" or "exec").
// `self_exe` is this mixlaw binary, which runs the builtin and synthetic trainers.
absl::StatusOr<std::vector<std::string>> TrainerArgv(const std::string& kind,
                                                     const std::string& command_template,
                                                     const nlohmann::json& run_config,
                                                     const std::string& config_path,
                                                     const std::string& self_exe);

}  // namespace mixlaw

#endif  // MIXLAW_WORKER_TRAINER_COMMAND_H_
