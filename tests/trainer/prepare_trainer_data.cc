// Prepares the builtin trainer's test data (trainer_test_data.h) into OUT, replacing what is
// there: the CTest fixture `llama_trainer_data` (tests/CMakeLists.txt), run once for all of
// LlamaTrainerTest's tests.
//
// Usage: prepare_trainer_data OUT
#include <filesystem>
#include <iostream>

#include "tests/trainer/trainer_test_data.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: prepare_trainer_data OUT\n";
    return 2;
  }
  std::error_code ec;
  std::filesystem::remove_all(argv[1], ec);
  auto summary = mixlaw::PrepareData(mixlaw::TrainerTestData(argv[1]));
  if (!summary.ok()) {
    std::cerr << "prepare_trainer_data: " << summary.status().message() << "\n";
    return 1;
  }
  return 0;
}
