#include "worker/trainer_command.h"

#include "absl/strings/str_cat.h"
#include "common/child_process.h"
#include "common/json_fields.h"

namespace mixlaw {

namespace {

absl::StatusOr<std::string> PlaceholderValue(const std::string& name, const nlohmann::json& c,
                                             const std::string& config_path) {
  auto text = [&](const nlohmann::json& v) -> std::string {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
    if (v.is_number()) return FormatNumber(v.get<double>());
    return v.dump();
  };
  if (name == "config") return config_path;
  if (name == "run_id" || name == "run_name" || name == "almr" || name == "peak_lr" ||
      name == "seed" || name == "output_dir" || name == "init_checkpoint" ||
      name == "resume_checkpoint") {
    return c.contains(name) ? text(c[name]) : std::string();
  }
  if (name == "model") return c.contains("model") ? text(c["model"].value("name", "")) : "";
  if (name == "params") return c.contains("model") ? text(c["model"].value("params", 0.0)) : "";
  if (name == "data_base" || name == "data_additional") {
    std::string key = name.substr(5);
    return c.contains("data") ? text(c["data"].value(key, "")) : "";
  }
  return absl::InvalidArgumentError(absl::StrCat("{", name, "} is not a placeholder"));
}

}  // namespace

absl::StatusOr<std::string> ExpandCommandTemplate(const std::string& command_template,
                                                  const nlohmann::json& run_config,
                                                  const std::string& config_path) {
  std::string out;
  size_t pos = 0;
  while (pos < command_template.size()) {
    size_t open = command_template.find('{', pos);
    if (open == std::string::npos) break;
    size_t close = command_template.find('}', open);
    if (close == std::string::npos) break;
    out.append(command_template, pos, open - pos);
    std::string name = command_template.substr(open + 1, close - open - 1);
    absl::StatusOr<std::string> value = PlaceholderValue(name, run_config, config_path);
    if (!value.ok()) return value.status();
    out += ShellQuote(*value);
    pos = close + 1;
  }
  out.append(command_template, pos);
  return out;
}

absl::StatusOr<std::vector<std::string>> TrainerArgv(const std::string& kind,
                                                     const std::string& command_template,
                                                     const nlohmann::json& run_config,
                                                     const std::string& config_path,
                                                     const std::string& self_exe) {
  if (kind == "synthetic")
    return std::vector<std::string>{self_exe, "train", "--synthetic", "--config", config_path};
  if (kind == "builtin")
    return std::vector<std::string>{self_exe, "train", "--config", config_path};
  if (kind == "exec") {
    absl::StatusOr<std::string> command =
        ExpandCommandTemplate(command_template, run_config, config_path);
    if (!command.ok()) return command.status();
    return std::vector<std::string>{"/bin/sh", "-c", *command};
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown trainer kind '", kind, "'"));
}

}  // namespace mixlaw
