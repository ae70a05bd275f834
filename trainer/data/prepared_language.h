// A prepared language: a directory of token shards with a meta.json that describes them
// (docs/data.md). The one place that knows meta.json; trainers read data through
// LoadPreparedLanguage.
#ifndef MIXLAW_TRAINER_DATA_PREPARED_LANGUAGE_H_
#define MIXLAW_TRAINER_DATA_PREPARED_LANGUAGE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace mixlaw {

inline constexpr char kDataFormat[] = "mixlaw-data 1";
inline constexpr char kMetaFileName[] = "meta.json";

struct TokenizerInfo {
  std::string kind;   // kTokenizerSpm or kTokenizerBytes
  std::string model;  // spm: the model file, relative to the language directory; bytes: empty
  int64_t vocab_size = 0;
  int64_t bos_id = 0;
  int64_t eos_id = 0;
};

struct SplitCounts {
  int64_t train = 0;
  int64_t val = 0;
};

// The content of meta.json.
struct LanguageMeta {
  std::string language;  // "base" or "additional"
  TokenizerInfo tokenizer;
  SplitCounts documents;
  SplitCounts tokens;                     // BOS tokens included
  std::vector<std::string> train_shards;  // file names in the language directory, in order
  std::vector<std::string> val_shards;
  std::vector<std::string> sources;  // the text files the documents came from
  double val_fraction = 0.0;
  int64_t seed = 0;

  nlohmann::json ToJson() const;
};

// Writes `meta` to `dir`/meta.json.
absl::Status WriteLanguageMeta(const std::string& dir, const LanguageMeta& meta);

// Reads and checks `dir`/meta.json; every problem is listed with its JSON path.
absl::StatusOr<LanguageMeta> ReadLanguageMeta(const std::string& dir);

struct PreparedLanguage {
  std::string dir;
  LanguageMeta meta;
  std::string model_path;  // spm: the tokenizer model (dir joined with meta.tokenizer.model)
  std::vector<uint32_t> train_tokens;  // the train shards, concatenated: BOS doc BOS doc ...
  std::vector<uint32_t> val_tokens;
};

// Reads meta.json and every shard in `dir`. Refuses a shard that fails ReadTokenShard (tokens
// are checked against the vocabulary), and shards whose token or document (BOS) counts disagree
// with meta.json.
absl::StatusOr<PreparedLanguage> LoadPreparedLanguage(const std::string& dir);

// OK when `a` and `b` were tokenized alike: same kind, vocabulary size, BOS and EOS, and for spm
// the same model file or files with the same bytes. Otherwise InvalidArgument naming both.
absl::Status CheckSameTokenizer(const PreparedLanguage& a, const PreparedLanguage& b);

}  // namespace mixlaw

#endif  // MIXLAW_TRAINER_DATA_PREPARED_LANGUAGE_H_
