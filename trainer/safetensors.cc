#include "trainer/safetensors.h"

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "common/file_io.h"
#include "nlohmann/json.hpp"

namespace mixlaw {

namespace {

float Bf16ToFloat(uint16_t bits) {
  uint32_t f = static_cast<uint32_t>(bits) << 16;
  float out;
  std::memcpy(&out, &f, 4);
  return out;
}

float F16ToFloat(uint16_t h) {
  uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ff, f;
  if (exp == 0) {
    if (mant == 0) {
      f = sign;
    } else {  // subnormal: renormalise
      exp = 127 - 15 + 1;
      while ((mant & 0x400) == 0) {
        mant <<= 1;
        --exp;
      }
      f = sign | (exp << 23) | ((mant & 0x3ff) << 13);
    }
  } else if (exp == 31) {
    f = sign | 0x7f800000u | (mant << 13);
  } else {
    f = sign | ((exp - 15 + 127) << 23) | (mant << 13);
  }
  float out;
  std::memcpy(&out, &f, 4);
  return out;
}

}  // namespace

absl::Status WriteSafetensors(const std::string& path, const std::vector<NamedTensor>& tensors,
                              const std::map<std::string, std::string>& metadata) {
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  int64_t offset = 0;
  for (const NamedTensor& t : tensors) {
    int64_t count = 1;
    for (int64_t d : t.shape) count *= d;
    header[t.name] = {
        {"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {offset, offset + count * 4}}};
    offset += count * 4;
  }
  std::string text = header.dump();
  while (text.size() % 8 != 0) text += ' ';  // align the data section, as the reference writer does
  return WriteFileAtomically(path, [&](std::ostream& out) {
    uint64_t n = text.size();
    unsigned char len[8];
    for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>((n >> (8 * i)) & 0xff);
    out.write(reinterpret_cast<const char*>(len), 8);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    for (const NamedTensor& t : tensors) {
      int64_t count = 1;
      for (int64_t d : t.shape) count *= d;
      out.write(reinterpret_cast<const char*>(t.data), static_cast<std::streamsize>(count * 4));
    }
  });
}

absl::StatusOr<SafetensorsFile> ReadSafetensors(const std::string& path) {
  auto bad = [&](const std::string& why) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", why));
  };
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot be read"));
  std::error_code ec;
  uint64_t file_size = std::filesystem::file_size(path, ec);
  if (ec || file_size < 8) return bad("too short for a safetensors header");
  unsigned char len[8];
  in.read(reinterpret_cast<char*>(len), 8);
  uint64_t header_size = 0;
  for (int i = 0; i < 8; ++i) header_size |= static_cast<uint64_t>(len[i]) << (8 * i);
  if (header_size > file_size - 8 || header_size > (100u << 20)) {
    return bad(
        absl::StrCat("header length ", header_size, " exceeds the file (", file_size, " bytes)"));
  }
  std::string text(header_size, '\0');
  in.read(text.data(), static_cast<std::streamsize>(header_size));
  nlohmann::json header = nlohmann::json::parse(text, nullptr, false);
  if (header.is_discarded() || !header.is_object()) return bad("header is not a JSON object");
  const uint64_t data_size = file_size - 8 - header_size;
  std::vector<char> data(data_size);
  in.read(data.data(), static_cast<std::streamsize>(data_size));
  if (!in) return bad("data section cannot be read");
  SafetensorsFile file;
  for (const auto& [name, info] : header.items()) {
    if (name == "__metadata__") {
      if (!info.is_object()) return bad("__metadata__ is not an object");
      for (const auto& [key, value] : info.items()) {
        if (value.is_string()) file.metadata[key] = value.get<std::string>();
      }
      continue;
    }
    if (!info.is_object() || !info.contains("dtype") || !info["dtype"].is_string() ||
        !info.contains("shape") || !info["shape"].is_array() || !info.contains("data_offsets") ||
        !info["data_offsets"].is_array() || info["data_offsets"].size() != 2) {
      return bad(absl::StrCat(name, ": needs dtype, shape and two data_offsets"));
    }
    std::string dtype = info["dtype"].get<std::string>();
    size_t width = dtype == "F32" ? 4 : (dtype == "BF16" || dtype == "F16") ? 2 : 0;
    if (width == 0) return bad(absl::StrCat(name, ": dtype ", dtype, " is not F32, BF16 or F16"));
    LoadedTensor t;
    uint64_t count = 1;
    for (const auto& d : info["shape"]) {
      if (!d.is_number_unsigned() || d.get<uint64_t>() > (1ull << 40)) {
        return bad(absl::StrCat(name, ": shape holds a bad dimension"));
      }
      t.shape.push_back(d.get<int64_t>());
      count *= d.get<uint64_t>();
      if (count > (1ull << 40)) return bad(absl::StrCat(name, ": shape is too large"));
    }
    const auto& offsets = info["data_offsets"];
    if (!offsets[0].is_number_unsigned() || !offsets[1].is_number_unsigned()) {
      return bad(absl::StrCat(name, ": data_offsets must be non-negative integers"));
    }
    uint64_t begin = offsets[0].get<uint64_t>(), end = offsets[1].get<uint64_t>();
    if (begin > end || end > data_size) {
      return bad(absl::StrCat(name, ": bytes [", begin, ", ", end, ") lie outside the data (",
                              data_size, " bytes); the file is truncated or corrupt"));
    }
    if (end - begin != count * width) {
      return bad(
          absl::StrCat(name, ": ", end - begin, " bytes for ", count, " ", dtype, " values"));
    }
    t.data.resize(count);
    const char* src = data.data() + begin;
    for (uint64_t i = 0; i < count; ++i) {
      if (width == 4) {
        std::memcpy(&t.data[i], src + 4 * i, 4);
      } else {
        uint16_t bits;
        std::memcpy(&bits, src + 2 * i, 2);
        t.data[i] = dtype == "BF16" ? Bf16ToFloat(bits) : F16ToFloat(bits);
      }
    }
    file.tensors[name] = std::move(t);
  }
  return file;
}

}  // namespace mixlaw
