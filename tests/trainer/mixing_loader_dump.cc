// Prints the builtin trainer's training batches for tests/python/test_mixing.py, which holds the
// PyTorch package's loader to them: one JSON line a batch, {"inputs": [[...]], "targets":
// [[...]], "state": {...}} with the loader's state after the batch.
//
// Usage: mixing_loader_dump BASE_DIR ADDITIONAL_DIR ALMR B T SEED BATCHES
#include <iostream>
#include <string>

#include "nlohmann/json.hpp"
#include "trainer/data/prepared_language.h"
#include "trainer/mixing_loader.h"

int main(int argc, char** argv) {
  if (argc != 8) {
    std::cerr << "usage: mixing_loader_dump BASE_DIR ADDITIONAL_DIR ALMR B T SEED BATCHES\n";
    return 2;
  }
  auto base = mixlaw::LoadPreparedLanguage(argv[1]);
  auto additional = mixlaw::LoadPreparedLanguage(argv[2]);
  if (!base.ok() || !additional.ok()) {
    std::cerr << (base.ok() ? additional.status() : base.status()) << "\n";
    return 1;
  }
  const double almr = std::stod(argv[3]);
  const int B = std::stoi(argv[4]), T = std::stoi(argv[5]);
  const uint64_t seed = std::stoull(argv[6]);
  const int batches = std::stoi(argv[7]);
  mixlaw::MixingLoader loader(&base->train_tokens, &additional->train_tokens, almr, B, T, seed);
  std::vector<int32_t> inputs(static_cast<size_t>(B) * T), targets(inputs.size());
  for (int i = 0; i < batches; ++i) {
    loader.NextBatch(inputs.data(), targets.data());
    nlohmann::json line = {{"inputs", nlohmann::json::array()},
                           {"targets", nlohmann::json::array()},
                           {"state", loader.State()}};
    for (int b = 0; b < B; ++b) {
      line["inputs"].push_back(
          std::vector<int32_t>(inputs.begin() + b * T, inputs.begin() + (b + 1) * T));
      line["targets"].push_back(
          std::vector<int32_t>(targets.begin() + b * T, targets.begin() + (b + 1) * T));
    }
    std::cout << line.dump() << "\n";
  }
  return 0;
}
