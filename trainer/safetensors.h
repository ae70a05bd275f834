// The safetensors file format: an 8-byte little-endian header length, a JSON header naming each
// tensor's dtype, shape and byte range, then the raw data. Written as F32; read from F32, BF16
// and F16 (as Hugging Face checkpoints often are), always converted to fp32.
#ifndef MIXLAW_TRAINER_SAFETENSORS_H_
#define MIXLAW_TRAINER_SAFETENSORS_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace mixlaw {

struct NamedTensor {
  std::string name;
  std::vector<int64_t> shape;
  const float* data = nullptr;  // shape's product floats
};

// Writes the tensors (in the order given) with string metadata. Written to a temporary file and
// renamed, so a crash never leaves a half-written file under `path`.
absl::Status WriteSafetensors(const std::string& path, const std::vector<NamedTensor>& tensors,
                              const std::map<std::string, std::string>& metadata = {});

struct LoadedTensor {
  std::vector<int64_t> shape;
  std::vector<float> data;
};

struct SafetensorsFile {
  std::map<std::string, LoadedTensor> tensors;
  std::map<std::string, std::string> metadata;
};

// Reads and checks a whole file: the header must be valid JSON within the file, every tensor's
// byte range inside the data section and of the size its dtype and shape imply. Any problem is
// an error naming the file and the tensor; nothing is read out of bounds.
absl::StatusOr<SafetensorsFile> ReadSafetensors(const std::string& path);

}  // namespace mixlaw

#endif  // MIXLAW_TRAINER_SAFETENSORS_H_
