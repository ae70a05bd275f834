#include "trainer/data/shards.h"

#include <bit>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>

#include "absl/strings/str_cat.h"
#include "common/file_io.h"

namespace mixlaw {

namespace {

static_assert(std::endian::native == std::endian::little ||
              std::endian::native == std::endian::big);

int32_t LoadInt32(const unsigned char* p) {
  return static_cast<int32_t>(static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
                              static_cast<uint32_t>(p[2]) << 16 |
                              static_cast<uint32_t>(p[3]) << 24);
}

void StoreInt32(uint32_t value, unsigned char* p) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<unsigned char>(value >> (8 * i));
}

// Reads `count` little-endian unsigned integers of type T from `in`.
template <typename T>
bool ReadLittleEndian(std::ifstream& in, int64_t count, std::vector<T>& out) {
  out.resize(static_cast<size_t>(count));
  in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(count * sizeof(T)));
  if (!in) return false;
  if constexpr (std::endian::native == std::endian::big) {
    for (T& v : out) {
      T swapped = 0;
      for (size_t i = 0; i < sizeof(T); ++i)
        swapped = static_cast<T>(swapped << 8 | ((v >> (8 * i)) & 0xff));
      v = swapped;
    }
  }
  return true;
}

}  // namespace

std::string ShardFileName(const std::string& split, int64_t index) {
  char number[32];
  std::snprintf(number, sizeof(number), "%06lld", static_cast<long long>(index));
  return absl::StrCat(split, "_", number, ".bin");
}

absl::Status WriteTokenShard(const std::string& path, const std::vector<uint32_t>& tokens) {
  if (tokens.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", tokens.size(), " tokens do not fit one shard's int32 count"));
  }
  unsigned char header[kShardHeaderBytes] = {};
  StoreInt32(kShardMagicUint32, header);
  StoreInt32(kShardVersionUint32, header + 4);
  StoreInt32(static_cast<uint32_t>(tokens.size()), header + 8);
  return WriteFileAtomically(path, [&](std::ostream& out) {
    out.write(reinterpret_cast<const char*>(header), kShardHeaderBytes);
    if constexpr (std::endian::native == std::endian::little) {
      out.write(reinterpret_cast<const char*>(tokens.data()),
                static_cast<std::streamsize>(tokens.size() * sizeof(uint32_t)));
    } else {
      for (uint32_t t : tokens) {
        unsigned char bytes[4];
        StoreInt32(t, bytes);
        out.write(reinterpret_cast<const char*>(bytes), 4);
      }
    }
  });
}

absl::StatusOr<std::vector<uint32_t>> ReadTokenShard(const std::string& path, int64_t vocab_size) {
  std::error_code ec;
  const int64_t file_bytes = static_cast<int64_t>(std::filesystem::file_size(path, ec));
  std::ifstream in(path, std::ios::binary);
  if (ec || !in) return absl::NotFoundError(absl::StrCat(path, ": cannot be read"));
  if (file_bytes < kShardHeaderBytes) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", file_bytes,
                                                   " bytes is shorter than the ", kShardHeaderBytes,
                                                   "-byte shard header"));
  }
  unsigned char header[kShardHeaderBytes];
  if (!in.read(reinterpret_cast<char*>(header), kShardHeaderBytes)) {
    return absl::DataLossError(absl::StrCat(path, ": the header cannot be read"));
  }
  const int32_t magic = LoadInt32(header), version = LoadInt32(header + 4);
  const int64_t count = LoadInt32(header + 8);
  int64_t width = 0;
  if (magic == kShardMagicUint32) {
    if (version == kShardVersionUint32) width = 4;
  } else if (magic == kShardMagicUint16) {
    if (version == kShardVersionUint16) width = 2;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(path, ": bad magic ", magic, " (expected ",
                                                   kShardMagicUint32, " or ", kShardMagicUint16,
                                                   "): not a token shard"));
  }
  if (width == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": unknown version ", version, " for magic ", magic, " (expected ",
                     magic == kShardMagicUint32 ? kShardVersionUint32 : kShardVersionUint16, ")"));
  }
  if (count < 0) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": header says ", count, " tokens"));
  }
  const int64_t payload = file_bytes - kShardHeaderBytes;
  if (payload != count * width) {
    if (payload % width == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": header says ", count, " tokens but the file holds ", payload / width));
    }
    return absl::InvalidArgumentError(absl::StrCat(path, ": header says ", count, " tokens (",
                                                   count * width, " bytes) but the file holds ",
                                                   payload, " bytes after the header"));
  }
  std::vector<uint32_t> tokens;
  bool read = true;
  if (width == 4) {
    read = ReadLittleEndian(in, count, tokens);
  } else {
    std::vector<uint16_t> narrow;
    read = ReadLittleEndian(in, count, narrow);
    tokens.assign(narrow.begin(), narrow.end());
  }
  if (!read) return absl::DataLossError(absl::StrCat(path, ": the tokens cannot be read"));
  if (vocab_size > 0) {
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (tokens[i] >= vocab_size) {
        return absl::InvalidArgumentError(absl::StrCat(path, ": token ", tokens[i], " at position ",
                                                       i, " is outside the vocabulary of ",
                                                       vocab_size));
      }
    }
  }
  return tokens;
}

}  // namespace mixlaw
