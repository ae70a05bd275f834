#include "common/file_io.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <system_error>

#include "absl/strings/str_cat.h"

namespace mixlaw {

absl::StatusOr<std::string> ReadFileToString(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot be read"));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return absl::NotFoundError(absl::StrCat(path, ": cannot be read"));
  return std::move(text).str();
}

namespace {

// Flushes a file's (or a directory's) contents to the disk; false when it cannot.
bool SyncPath(const std::string& path, int flags) {
  const int fd = open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return false;
  const bool synced = fsync(fd) == 0;
  close(fd);
  return synced;
}

// A temporary name beside `path` that no other writer in this process, nor another process,
// uses at the same time.
std::string TemporaryName(const std::string& path) {
  static std::atomic<uint64_t> counter{0};
  return absl::StrCat(path, ".tmp.", getpid(), ".", counter.fetch_add(1));
}

// Opens `path` (truncating it) and runs `write` on it; what went wrong, or nullopt.
std::optional<std::string> WriteStream(const std::string& path,
                                       const std::function<void(std::ostream&)>& write) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return absl::StrCat(path, ": ", std::strerror(errno));
  write(out);
  out.close();
  if (!out) return absl::StrCat("writing ", path, " failed");
  return std::nullopt;
}

}  // namespace

absl::Status WriteFileAtomically(const std::string& path,
                                 const std::function<void(std::ostream&)>& write) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status link = fs::symlink_status(path, ec);
  const fs::file_status existing = fs::status(path, ec);
  if (fs::is_symlink(link) || (fs::exists(existing) && !fs::is_regular_file(existing))) {
    // A link (/dev/stdout, or one the user made) or a device or pipe: written through, in place.
    if (std::optional<std::string> why = WriteStream(path, write)) {
      return absl::InternalError(absl::StrCat(path, ": cannot be written: ", *why));
    }
    return absl::OkStatus();
  }
  const std::string temporary = TemporaryName(path);
  auto fail = [&](const std::string& why) {
    std::error_code ignored;
    fs::remove(temporary, ignored);
    return absl::InternalError(absl::StrCat(path, ": cannot be written: ", why));
  };
  if (std::optional<std::string> why = WriteStream(temporary, write)) return fail(*why);
  if (fs::exists(existing))
    fs::permissions(temporary, existing.permissions(), ec);  // keep its mode
  if (!SyncPath(temporary, O_RDONLY))
    return fail(absl::StrCat(temporary, ": ", std::strerror(errno)));
  fs::rename(temporary, path, ec);
  if (ec) return fail(ec.message());
  // The rename itself reaches the disk with the directory.
  const fs::path parent = fs::path(path).parent_path();
  SyncPath(parent.empty() ? std::string(".") : parent.string(), O_RDONLY | O_DIRECTORY);
  return absl::OkStatus();
}

absl::Status WriteFileAtomically(const std::string& path, std::string_view contents) {
  return WriteFileAtomically(path, [contents](std::ostream& out) {
    out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  });
}

}  // namespace mixlaw
