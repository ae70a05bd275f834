#include "common/file_io.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
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

absl::Status WriteFileAtomically(const std::string& path,
                                 const std::function<void(std::ostream&)>& write) {
  std::error_code ec;
  const std::filesystem::file_status existing = std::filesystem::status(path, ec);
  if (std::filesystem::exists(existing) && !std::filesystem::is_regular_file(existing)) {
    // A device or a pipe (/dev/stdout, a FIFO): nothing to replace, written in place.
    std::ofstream out(path, std::ios::binary);
    if (out) write(out);
    out.close();
    if (!out) return absl::InternalError(absl::StrCat(path, ": cannot be written"));
    return absl::OkStatus();
  }
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) {
      return absl::InternalError(absl::StrCat(path, ": cannot be written: ", std::strerror(errno)));
    }
    write(out);
    out.close();
    if (!out) {
      std::error_code ignored;
      std::filesystem::remove(temporary, ignored);
      return absl::InternalError(absl::StrCat(path, ": cannot be written"));
    }
  }
  std::filesystem::rename(temporary, path, ec);
  if (ec) return absl::InternalError(absl::StrCat(path, ": cannot be written: ", ec.message()));
  return absl::OkStatus();
}

absl::Status WriteFileAtomically(const std::string& path, std::string_view contents) {
  return WriteFileAtomically(path, [contents](std::ostream& out) {
    out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  });
}

}  // namespace mixlaw
