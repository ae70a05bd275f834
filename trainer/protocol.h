// The trainer line protocol (docs/trainer-protocol.md): what a trainer prints on stdout, one JSON
// object a line, and what its exit code means. Trainers write these lines; workers read them.
#ifndef MIXLAW_TRAINER_PROTOCOL_H_
#define MIXLAW_TRAINER_PROTOCOL_H_

#include <cstdint>
#include <string>
#include <variant>

namespace mixlaw {

// Exit codes of a trainer process. Any other non-zero code is a failure too.
inline constexpr int kTrainerExitSuccess = 0;
inline constexpr int kTrainerExitFailure = 1;
inline constexpr int kTrainerExitUsage = 2;     // bad RUN.json or command line
inline constexpr int kTrainerExitDiverged = 3;  // NaN, infinity or a loss spike

// {"step": 10, "split": "train", "loss": 3.2, "tokens": 20480, "lr": 0.001}
struct MetricLine {
  std::string split;
  int64_t step = 0;
  double loss = 0.0;
  int64_t tokens = 0;
  double lr = 0.0;
};

// {"total_steps": 500}: announces the run's length, for progress.
struct TotalStepsLine {
  int64_t total_steps = 0;
};

// {"artifact": "checkpoint", "path": "/runs/s1/pretrain/final.safetensors"}
struct ArtifactLine {
  std::string name;
  std::string path;
};

// A line that is not one of the above: free text a trainer may print, or a malformed object.
struct OtherLine {
  std::string error;  // why a JSON object was not understood; empty for plain text
};

using TrainerLine = std::variant<MetricLine, TotalStepsLine, ArtifactLine, OtherLine>;

TrainerLine ParseTrainerLine(const std::string& line);

std::string FormatMetricLine(const MetricLine& metric);
std::string FormatTotalStepsLine(int64_t total_steps);
std::string FormatArtifactLine(const std::string& name, const std::string& path);

}  // namespace mixlaw

#endif  // MIXLAW_TRAINER_PROTOCOL_H_
