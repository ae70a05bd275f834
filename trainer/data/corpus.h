// Text corpora read into documents. Every input file is read as a fortune file: records
// separated by lines holding just "%" (a file without such lines is one document). Text is
// cleaned for training: terminal escape sequences, overstrikes and control characters are
// removed (CleanText). The demo corpora are Debian's fortune files (docs/data.md).
#ifndef MIXLAW_TRAINER_DATA_CORPUS_H_
#define MIXLAW_TRAINER_DATA_CORPUS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace mixlaw {

// Where Debian's fortunes, fortunes-min and fortunes-zh packages put their files.
inline constexpr char kFortuneDir[] = "/usr/share/games/fortunes";

// The input that stands for a demo corpus in ResolveInputs.
inline constexpr char kDemoInput[] = "demo";

enum class DemoCorpus {
  kEnglish,  // every fortune file with an index (.dat) that is not Chinese
  kChinese,  // fortunes-zh: chinese, tang300, song100
};

// The demo corpus's files in `dir`, sorted by name; NotFound naming the Debian packages to install
// when there are none.
absl::StatusOr<std::vector<std::string>> DemoCorpusFiles(DemoCorpus corpus,
                                                         const std::string& dir = kFortuneDir);

// The files named by `inputs`: a file is itself; a directory gives its regular files (not
// symlinks, not hidden, not "*.dat" indexes), sorted by name, without descending; kDemoInput
// gives DemoCorpusFiles(demo). Each file appears once. An input that does not exist is refused.
absl::StatusOr<std::vector<std::string>> ResolveInputs(const std::vector<std::string>& inputs,
                                                       DemoCorpus demo);

// `text` without ANSI escape sequences (CSI such as ESC [ 1;33 m, OSC, two-byte escapes), with
// backspace overstrikes applied ("_\bx" is "x"), and without other control characters than tab
// and newline. REQUIRES: `text` is valid UTF-8 (so is the result).
std::string CleanText(const std::string& text);

// The cleaned, non-empty documents of the fortune file at `path`, in file order. Leading and
// trailing blank lines and trailing whitespace of each line are dropped. Invalid UTF-8 is refused
// with the file and line: "art: line 12: invalid UTF-8 at byte 7".
absl::StatusOr<std::vector<std::string>> ReadDocuments(const std::string& path);

// The documents of every file in `paths`, in order.
absl::StatusOr<std::vector<std::string>> ReadCorpus(const std::vector<std::string>& paths);

// The index of the first byte of `text` that is not part of valid UTF-8 (overlong forms,
// surrogates and code points above U+10FFFF are invalid), or npos when all of it is valid.
size_t FindInvalidUtf8(const std::string& text);

}  // namespace mixlaw

#endif  // MIXLAW_TRAINER_DATA_CORPUS_H_
