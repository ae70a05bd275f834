// SentencePiece BPE tokenizers: training one on documents, and loading one from its .model file.
// SentencePiece itself runs in the module libmixlaw_spm.so (spm_module.h says why).
#ifndef MIXLAW_TRAINER_DATA_SENTENCEPIECE_TOKENIZER_H_
#define MIXLAW_TRAINER_DATA_SENTENCEPIECE_TOKENIZER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "trainer/data/tokenizer.h"

namespace mixlaw::spm {
class Model;
}  // namespace mixlaw::spm

namespace mixlaw {

// Token ids every model trained here has.
inline constexpr uint32_t kSpmUnkId = 0;
inline constexpr uint32_t kSpmBosId = 1;
inline constexpr uint32_t kSpmEosId = 2;

struct SentencePieceTrainOptions {
  int64_t vocab_size = 3072;
  // The fraction of character occurrences that must be pieces of their own; rarer characters
  // are spelled with byte pieces (byte fallback).
  double character_coverage = 0.98;
  int num_threads = 2;
  uint32_t seed = 0;
};

class SentencePieceTokenizer : public Tokenizer {
 public:
  // The model in the file at `path`; refuses a file SentencePiece cannot read and a model without
  // BOS or EOS, naming the file.
  static absl::StatusOr<std::unique_ptr<SentencePieceTokenizer>> Load(const std::string& path);

  ~SentencePieceTokenizer() override;
  SentencePieceTokenizer(const SentencePieceTokenizer&) = delete;
  SentencePieceTokenizer& operator=(const SentencePieceTokenizer&) = delete;

  std::string kind() const override { return kTokenizerSpm; }
  int64_t vocab_size() const override { return vocab_size_; }
  uint32_t bos_id() const override { return bos_id_; }
  uint32_t eos_id() const override { return eos_id_; }
  absl::StatusOr<std::vector<uint32_t>> Encode(const std::string& text) const override;
  absl::StatusOr<std::string> Decode(const std::vector<uint32_t>& tokens) const override;

 private:
  explicit SentencePieceTokenizer(std::unique_ptr<spm::Model> model);

  std::unique_ptr<spm::Model> model_;
  int64_t vocab_size_;
  uint32_t bos_id_;
  uint32_t eos_id_;
};

// Trains a BPE model with byte fallback on `documents` (one sentence each; newlines, tabs and
// repeated spaces are kept: no normalization) and writes it to `model_path`. The same documents,
// options and library version give the same file.
absl::Status TrainSentencePiece(const std::vector<std::string>& documents,
                                const std::string& model_path,
                                const SentencePieceTrainOptions& options = {});

}  // namespace mixlaw

#endif  // MIXLAW_TRAINER_DATA_SENTENCEPIECE_TOKENIZER_H_
