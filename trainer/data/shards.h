// llm.c token shards: the one place that knows the format (docs/data.md). A shard is a header of
// 256 little-endian int32 (magic, version, number of tokens, then zeros) followed by the tokens,
// little-endian: uint32 in version 7 (magic 20240801, written here), uint16 in version 1 (magic
// 20240520, llm.c's original GPT-2 shards, read only).
#ifndef MIXLAW_TRAINER_DATA_SHARDS_H_
#define MIXLAW_TRAINER_DATA_SHARDS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace mixlaw {

inline constexpr int kShardHeaderInts = 256;
inline constexpr int64_t kShardHeaderBytes = kShardHeaderInts * 4;
inline constexpr int32_t kShardMagicUint32 = 20240801;  // version kShardVersionUint32
inline constexpr int32_t kShardVersionUint32 = 7;
inline constexpr int32_t kShardMagicUint16 = 20240520;  // version kShardVersionUint16
inline constexpr int32_t kShardVersionUint16 = 1;

// Writes `tokens` to `path` as a version 7 (uint32) shard, through a temporary file renamed into
// place. Refuses more tokens than the header's int32 count can hold.
absl::Status WriteTokenShard(const std::string& path, const std::vector<uint32_t>& tokens);

// The tokens of the shard at `path`, either version. Refuses, naming the file, a file shorter than
// the header, an unknown magic or version, a token count that disagrees with the file's size, and
// (when `vocab_size` > 0) a token >= vocab_size. Never reads past the file's end.
absl::StatusOr<std::vector<uint32_t>> ReadTokenShard(const std::string& path,
                                                     int64_t vocab_size = 0);

// The name of shard `index` of `split` ("train", "val"): "train_000000.bin".
std::string ShardFileName(const std::string& split, int64_t index);

}  // namespace mixlaw

#endif  // MIXLAW_TRAINER_DATA_SHARDS_H_
