// Tokenizers: text to token ids and back. Two kinds: "bytes" (ByteTokenizer, here) and "spm"
// (SentencePieceTokenizer, sentencepiece_tokenizer.h). A prepared corpus stores each document as
// BOS followed by its tokens (docs/data.md).
#ifndef MIXLAW_TRAINER_DATA_TOKENIZER_H_
#define MIXLAW_TRAINER_DATA_TOKENIZER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace mixlaw {

inline constexpr char kTokenizerBytes[] = "bytes";
inline constexpr char kTokenizerSpm[] = "spm";

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  // kTokenizerBytes or kTokenizerSpm.
  virtual std::string kind() const = 0;
  // Every token is < vocab_size().
  virtual int64_t vocab_size() const = 0;
  virtual uint32_t bos_id() const = 0;
  virtual uint32_t eos_id() const = 0;
  // The tokens of `text`, without BOS or EOS. Decode(Encode(t)) == t for valid UTF-8 text.
  virtual absl::StatusOr<std::vector<uint32_t>> Encode(const std::string& text) const = 0;
  // The text of `tokens`; BOS and EOS decode to nothing. Refuses a token >= vocab_size().
  virtual absl::StatusOr<std::string> Decode(const std::vector<uint32_t>& tokens) const = 0;
};

// Bytes 0-255 are tokens 0-255; BOS is 256, EOS 257. Needs no model.
class ByteTokenizer : public Tokenizer {
 public:
  static constexpr uint32_t kBos = 256;
  static constexpr uint32_t kEos = 257;
  static constexpr int64_t kVocabSize = 258;

  std::string kind() const override { return kTokenizerBytes; }
  int64_t vocab_size() const override { return kVocabSize; }
  uint32_t bos_id() const override { return kBos; }
  uint32_t eos_id() const override { return kEos; }
  absl::StatusOr<std::vector<uint32_t>> Encode(const std::string& text) const override;
  absl::StatusOr<std::string> Decode(const std::vector<uint32_t>& tokens) const override;
};

// A tokenizer of `kind`: kTokenizerBytes (`model_path` unused) or kTokenizerSpm (the model at
// `model_path`). Refuses another kind.
absl::StatusOr<std::unique_ptr<Tokenizer>> OpenTokenizer(const std::string& kind,
                                                         const std::string& model_path);

}  // namespace mixlaw

#endif  // MIXLAW_TRAINER_DATA_TOKENIZER_H_
