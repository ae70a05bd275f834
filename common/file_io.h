// Whole-file reads, and writes that replace a file at once: the bytes go to PATH.tmp beside the
// destination, which is then renamed over it, so a reader (or a restart after a crash midway)
// sees the old file or the new one, never half of one.
#ifndef MIXLAW_COMMON_FILE_IO_H_
#define MIXLAW_COMMON_FILE_IO_H_

#include <functional>
#include <ostream>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace mixlaw {

// The file's bytes; NotFound ("PATH: cannot be read") when it cannot be opened.
absl::StatusOr<std::string> ReadFileToString(const std::string& path);

// Writes what `write` puts on the stream to PATH.tmp, then renames it to PATH; Internal
// ("PATH: cannot be written", with the reason where the system gives one) when either step
// fails, and the temporary is removed.
// A PATH that exists and is not a regular file (/dev/stdout, a FIFO) is written in place.
absl::Status WriteFileAtomically(const std::string& path,
                                 const std::function<void(std::ostream&)>& write);
absl::Status WriteFileAtomically(const std::string& path, std::string_view contents);

}  // namespace mixlaw

#endif  // MIXLAW_COMMON_FILE_IO_H_
