// Whole-file reads, and writes that replace a file at once: the bytes go to a temporary file
// beside the destination, which is flushed to the disk and then renamed over it, so a reader, or
// a restart after a crash or a power cut midway, sees the old file or the new one, never half of
// one.
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

// Writes what `write` puts on the stream to PATH.tmp.PID.N, flushes it and renames it to PATH
// (keeping the old file's permissions); Internal ("PATH: cannot be written: " and the reason) when
// a step fails, and the temporary is removed. A PATH that is a symbolic link (/dev/stdout), a
// device or a pipe is written through, in place.
absl::Status WriteFileAtomically(const std::string& path,
                                 const std::function<void(std::ostream&)>& write);
absl::Status WriteFileAtomically(const std::string& path, std::string_view contents);

}  // namespace mixlaw

#endif  // MIXLAW_COMMON_FILE_IO_H_
