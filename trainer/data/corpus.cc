#include "trainer/data/corpus.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace mixlaw {

namespace fs = std::filesystem;

namespace {

constexpr unsigned char kEsc = 0x1b;
constexpr unsigned char kBel = 0x07;
constexpr unsigned char kBackspace = 0x08;

bool IsChineseDemoFile(const std::string& name) {
  return name == "chinese" || name == "tang300" || name == "song100";
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The regular files (not symlinks) directly in `dir` accepted by `keep`, sorted by name.
template <typename Keep>
absl::StatusOr<std::vector<std::string>> ListFiles(const std::string& dir, Keep keep) {
  std::vector<std::string> files;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (!it->is_regular_file(ec) || it->is_symlink(ec) || name.empty() || name[0] == '.') continue;
    if (keep(name)) files.push_back(it->path().string());
  }
  if (ec) return absl::NotFoundError(absl::StrCat(dir, ": cannot be listed: ", ec.message()));
  std::sort(files.begin(), files.end());
  return files;
}

// Skips the escape sequence that starts at text[i] (an ESC); returns the index after it.
size_t SkipEscape(const std::string& text, size_t i) {
  auto at = [&](size_t k) { return k < text.size() ? static_cast<unsigned char>(text[k]) : 0; };
  unsigned char kind = at(i + 1);
  if (kind == '[') {  // CSI: parameters 0x30-0x3F, intermediates 0x20-0x2F, one final 0x40-0x7E
    size_t k = i + 2;
    while (at(k) >= 0x30 && at(k) <= 0x3f) ++k;
    while (at(k) >= 0x20 && at(k) <= 0x2f) ++k;
    return (at(k) >= 0x40 && at(k) <= 0x7e) ? k + 1 : k;
  }
  if (kind == ']' || kind == 'P' || kind == 'X' || kind == '^' || kind == '_') {
    // OSC and other strings: up to BEL or ESC \, never past the end of the line.
    size_t k = i + 2;
    while (k < text.size() && at(k) != kBel && at(k) != '\n' &&
           !(at(k) == kEsc && at(k + 1) == '\\')) {
      ++k;
    }
    if (at(k) == kBel) return k + 1;
    return at(k) == kEsc ? k + 2 : k;
  }
  size_t k = i + 1;  // a two-byte escape, possibly with intermediates (ESC ( B)
  while (at(k) >= 0x20 && at(k) <= 0x2f) ++k;
  return (at(k) >= 0x30 && at(k) <= 0x7e) ? k + 1 : k;
}

// `record` with trailing whitespace of each line and leading and trailing blank lines removed.
std::string TrimRecord(const std::string& record) {
  std::vector<std::string> lines;
  std::istringstream in(record);
  for (std::string line; std::getline(in, line);) {
    line.erase(line.find_last_not_of(" \t") + 1);
    lines.push_back(std::move(line));
  }
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  size_t first = 0;
  while (first < lines.size() && lines[first].empty()) ++first;
  std::string out;
  for (size_t i = first; i < lines.size(); ++i) {
    if (i > first) out += '\n';
    out += lines[i];
  }
  return out;
}

}  // namespace

size_t FindInvalidUtf8(const std::string& text) {
  size_t i = 0;
  auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  while (i < text.size()) {
    unsigned char b = byte(i);
    size_t length = b < 0x80           ? 1
                    : (b >> 5) == 0x6  ? 2
                    : (b >> 4) == 0xe  ? 3
                    : (b >> 3) == 0x1e ? 4
                                       : 0;
    if (length == 0 || i + length > text.size()) return i;
    uint32_t cp = length == 1 ? b : b & (0x7f >> length);
    for (size_t k = 1; k < length; ++k) {
      if ((byte(i + k) & 0xc0) != 0x80) return i;
      cp = (cp << 6) | (byte(i + k) & 0x3f);
    }
    bool overlong =
        (length == 2 && cp < 0x80) || (length == 3 && cp < 0x800) || (length == 4 && cp < 0x10000);
    if (overlong || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return i;
    i += length;
  }
  return std::string::npos;
}

std::string CleanText(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == kEsc) {
      i = SkipEscape(text, i);
      continue;
    }
    ++i;
    if (c == kBackspace) {
      // An overstrike: the character before is struck over by the one after.
      if (out.empty() || out.back() == '\n') continue;
      while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xc0) == 0x80)
        out.pop_back();
      out.pop_back();
    } else if (c >= 0x20 ? c != 0x7f : (c == '\t' || c == '\n')) {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> DemoCorpusFiles(DemoCorpus corpus,
                                                         const std::string& dir) {
  bool chinese = corpus == DemoCorpus::kChinese;
  MIXLAW_ASSIGN_OR_RETURN(std::vector<std::string> files,
                          ListFiles(dir, [&](const std::string& name) {
                            if (EndsWith(name, ".dat") || EndsWith(name, ".u8")) return false;
                            std::error_code ec;
                            return IsChineseDemoFile(name) == chinese &&
                                   fs::exists(fs::path(dir) / (name + ".dat"), ec);
                          }));
  if (files.empty()) {
    return absl::NotFoundError(absl::StrCat(
        dir, ": no ", chinese ? "Chinese" : "English", " fortune files (install the Debian ",
        chinese ? "package fortunes-zh" : "packages fortunes and fortunes-min", ")"));
  }
  return files;
}

absl::StatusOr<std::vector<std::string>> ResolveInputs(const std::vector<std::string>& inputs,
                                                       DemoCorpus demo) {
  std::vector<std::string> files;
  std::set<std::string> seen;
  auto add = [&](const std::string& file) {
    std::error_code ec;
    std::string key = fs::weakly_canonical(file, ec).string();
    if (seen.insert(ec ? file : key).second) files.push_back(file);
  };
  for (const std::string& input : inputs) {
    std::error_code ec;
    if (input == kDemoInput) {
      MIXLAW_ASSIGN_OR_RETURN(std::vector<std::string> demo_files, DemoCorpusFiles(demo));
      for (const std::string& f : demo_files) add(f);
    } else if (fs::is_directory(input, ec)) {
      MIXLAW_ASSIGN_OR_RETURN(
          std::vector<std::string> listed,
          ListFiles(input, [](const std::string& name) { return !EndsWith(name, ".dat"); }));
      for (const std::string& f : listed) add(f);
    } else if (fs::is_regular_file(input, ec)) {
      add(input);
    } else {
      return absl::NotFoundError(absl::StrCat(input, ": no such file or directory"));
    }
  }
  return files;
}

absl::StatusOr<std::vector<std::string>> ReadDocuments(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot be read"));
  std::vector<std::string> documents;
  std::string record;
  auto finish = [&] {
    std::string document = TrimRecord(CleanText(record));
    if (!document.empty()) documents.push_back(std::move(document));
    record.clear();
  };
  int64_t line_number = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_number;
    if (size_t bad = FindInvalidUtf8(line); bad != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": line ", line_number, ": invalid UTF-8 at byte ", bad + 1));
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line == "%") {
      finish();
    } else {
      record += line;
      record += '\n';
    }
  }
  if (in.bad()) return absl::DataLossError(absl::StrCat(path, ": read failed"));
  finish();
  return documents;
}

absl::StatusOr<std::vector<std::string>> ReadCorpus(const std::vector<std::string>& paths) {
  std::vector<std::string> documents;
  for (const std::string& path : paths) {
    MIXLAW_ASSIGN_OR_RETURN(std::vector<std::string> file_documents, ReadDocuments(path));
    for (std::string& d : file_documents) documents.push_back(std::move(d));
  }
  return documents;
}

}  // namespace mixlaw
