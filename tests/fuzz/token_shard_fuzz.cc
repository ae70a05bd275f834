// The token shard reader (docs/data.md), on any bytes as a file: read or refused with a message
// naming the file; what reads holds the header's count of tokens, each below the vocabulary.
#include <algorithm>

#include "tests/fuzz/fuzz_input.h"
#include "trainer/data/shards.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mixlaw;
  constexpr int64_t kVocab = 50000;
  const std::string path = WriteFuzzFile(data, size, "train_000000.bin");
  absl::StatusOr<std::vector<uint32_t>> tokens = ReadTokenShard(path, kVocab);
  if (!tokens.ok()) {
    FuzzCheck(tokens.status().message().find(path) != std::string_view::npos,
              "a refused shard is named");
    return 0;
  }
  FuzzCheck(size >= static_cast<size_t>(kShardHeaderBytes), "a shard holds its header");
  const int64_t width = static_cast<int64_t>(size - kShardHeaderBytes) /
                        std::max<int64_t>(1, static_cast<int64_t>(tokens->size()));
  FuzzCheck(tokens->empty() || width == 2 || width == 4, "tokens are 2 or 4 bytes each");
  for (uint32_t token : *tokens) FuzzCheck(token < kVocab, "every token is in the vocabulary");
  return 0;
}
