// The safetensors reader, on any bytes as a file: read or refused with a message naming the file,
// never read out of bounds; what reads writes back (as F32) and reads again the same.
#include "tests/fuzz/fuzz_input.h"
#include "trainer/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mixlaw;
  const std::string path = WriteFuzzFile(data, size, "model.safetensors");
  absl::StatusOr<SafetensorsFile> file = ReadSafetensors(path);
  if (!file.ok()) {
    FuzzCheck(file.status().message().find(path) != std::string_view::npos,
              "a refused file is named");
    return 0;
  }
  std::vector<NamedTensor> tensors;
  for (const auto& [name, tensor] : file->tensors) {
    tensors.push_back({name, tensor.shape, tensor.data.data()});
  }
  const std::string copy = path + ".copy";
  FuzzCheck(WriteSafetensors(copy, tensors, file->metadata).ok(), "a file that reads is written");
  absl::StatusOr<SafetensorsFile> again = ReadSafetensors(copy);
  FuzzCheck(again.ok() && again->tensors.size() == file->tensors.size() &&
                again->metadata == file->metadata,
            "a written file reads back the same tensors and metadata");
  for (const auto& [name, tensor] : file->tensors) {
    const LoadedTensor& back = again->tensors.at(name);
    FuzzCheck(back.shape == tensor.shape && back.data.size() == tensor.data.size(),
              "a tensor reads back with its shape");
  }
  return 0;
}
