// The demo corpora as the builtin trainer's tests read them (tests/trainer/llama_trainer_test.cc):
// Debian's fortunes in both languages, a 1536-piece tokenizer, 1% of the documents held out so
// that whole-split evaluation stays quick.
#ifndef MIXLAW_TESTS_TRAINER_TRAINER_TEST_DATA_H_
#define MIXLAW_TESTS_TRAINER_TRAINER_TEST_DATA_H_

#include <string>

#include "trainer/data/prepare.h"

namespace mixlaw {

inline PrepareOptions TrainerTestData(const std::string& out_dir) {
  PrepareOptions options;
  options.base_inputs = {"demo"};
  options.additional_inputs = {"demo"};
  options.out_dir = out_dir;
  options.vocab_size = 1536;
  options.val_fraction = 0.01;
  return options;
}

}  // namespace mixlaw

#endif  // MIXLAW_TESTS_TRAINER_TRAINER_TEST_DATA_H_
