#include "trainer/data/tokenizer.h"

#include "absl/strings/str_cat.h"
#include "trainer/data/sentencepiece_tokenizer.h"

namespace mixlaw {

absl::StatusOr<std::vector<uint32_t>> ByteTokenizer::Encode(const std::string& text) const {
  std::vector<uint32_t> tokens;
  tokens.reserve(text.size());
  for (char c : text) tokens.push_back(static_cast<unsigned char>(c));
  return tokens;
}

absl::StatusOr<std::string> ByteTokenizer::Decode(const std::vector<uint32_t>& tokens) const {
  std::string text;
  text.reserve(tokens.size());
  for (uint32_t t : tokens) {
    if (t < 256) {
      text.push_back(static_cast<char>(t));
    } else if (t != kBos && t != kEos) {
      return absl::InvalidArgumentError(
          absl::StrCat("token ", t, " is outside the byte vocabulary of ", kVocabSize));
    }
  }
  return text;
}

absl::StatusOr<std::unique_ptr<Tokenizer>> OpenTokenizer(const std::string& kind,
                                                         const std::string& model_path) {
  if (kind == kTokenizerBytes) return std::make_unique<ByteTokenizer>();
  if (kind == kTokenizerSpm) {
    absl::StatusOr<std::unique_ptr<SentencePieceTokenizer>> spm =
        SentencePieceTokenizer::Load(model_path);
    if (!spm.ok()) return spm.status();
    return std::unique_ptr<Tokenizer>(std::move(*spm));
  }
  return absl::InvalidArgumentError(absl::StrCat("'", kind, "' is not a tokenizer (expected ",
                                                 kTokenizerSpm, " or ", kTokenizerBytes, ")"));
}

}  // namespace mixlaw
