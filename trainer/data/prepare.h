// The data preparation pipeline behind `mixlaw data prepare`: text files of the base and the
// additional language in, a tokenizer and token shards per language and split out
// (docs/data.md):
//   OUT/tokenizer.model                    spm only: trained on both languages' train documents
//   OUT/base/{train,val}_NNNNNN.bin, meta.json
//   OUT/additional/...
#ifndef MIXLAW_TRAINER_DATA_PREPARE_H_
#define MIXLAW_TRAINER_DATA_PREPARE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "trainer/data/prepared_language.h"
#include "trainer/data/tokenizer.h"

namespace mixlaw {

inline constexpr char kTokenizerModelFileName[] = "tokenizer.model";

struct PrepareOptions {
  // Files, directories or kDemoInput (English for base, Chinese for additional); see
  // ResolveInputs.
  std::vector<std::string> base_inputs;
  std::vector<std::string> additional_inputs;
  std::string out_dir;
  std::string tokenizer = kTokenizerSpm;  // or kTokenizerBytes
  int64_t vocab_size = 3072;              // spm only: the bytes tokenizer has 258
  double val_fraction = 0.05;             // of each language's documents, in [0, 1)
  int64_t seed = 0;                       // >= 0: the split, document order and tokenizer training
  int64_t shard_tokens = 100'000'000;     // tokens per shard file, the last one fewer
};

struct LanguageSummary {
  std::string language;
  int64_t files = 0;
  SplitCounts documents;
  SplitCounts tokens;  // BOS tokens included
};

struct PrepareSummary {
  std::string out_dir;
  TokenizerInfo tokenizer;  // model relative to out_dir
  LanguageSummary base;
  LanguageSummary additional;
  double tokenizer_seconds = 0.0;  // training the spm model
  double total_seconds = 0.0;

  nlohmann::json ToJson() const;
};

// Runs the pipeline. InvalidArgument or NotFound for bad options or inputs (a missing file,
// invalid UTF-8, no documents), another code when writing fails.
absl::StatusOr<PrepareSummary> PrepareData(const PrepareOptions& options);

// Which of `count` documents are validation: round(val_fraction * count) of them (at least one
// when val_fraction > 0 and count >= 2; never all), drawn by `seed`. Both lists come in the same
// seeded shuffled order, so that neighbouring documents in a shard are unrelated. Portable: the
// same arguments give the same split everywhere.
struct DocumentSplit {
  std::vector<size_t> train;
  std::vector<size_t> val;
};
DocumentSplit SplitDocuments(size_t count, double val_fraction, int64_t seed);

}  // namespace mixlaw

#endif  // MIXLAW_TRAINER_DATA_PREPARE_H_
