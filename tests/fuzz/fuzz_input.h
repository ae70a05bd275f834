// What every fuzz target shares: the input as text, and as a file for the parsers that read one.
// A target defines LLVMFuzzerTestOneInput; it is linked with libFuzzer in a fuzzing build
// (MIXLAW_FUZZ) and with replay_main.cc otherwise, which feeds it every file of its corpus.
#ifndef MIXLAW_TESTS_FUZZ_FUZZ_INPUT_H_
#define MIXLAW_TESTS_FUZZ_FUZZ_INPUT_H_

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace mixlaw {

inline std::string FuzzText(const uint8_t* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

// Writes the input to `name` in this process's own scratch folder (under TMPDIR) and returns its
// path; the next call overwrites it.
inline std::string WriteFuzzFile(const uint8_t* data, size_t size, const std::string& name) {
  static const std::filesystem::path dir = [] {
    std::filesystem::path d = std::filesystem::temp_directory_path() /
                              ("mixlaw-fuzz-" + std::to_string(static_cast<long>(getpid())));
    std::filesystem::create_directories(d);
    return d;
  }();
  std::filesystem::path path = dir / name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return path.string();
}

// A property the target checks on every input that parsed: a failure aborts, which both
// libFuzzer and the replay driver report as a crash with the input.
inline void FuzzCheck(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "fuzz property failed: %s\n", what);
    std::abort();
  }
}

}  // namespace mixlaw

#endif  // MIXLAW_TESTS_FUZZ_FUZZ_INPUT_H_
