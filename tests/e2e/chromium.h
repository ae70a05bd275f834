// Headless Chromium for the tests that open a page as a reader would: Debian's `chromium`
// package (scripts/setup.sh), its command line, and the console lines that mean a page failed.
#ifndef MIXLAW_TESTS_E2E_CHROMIUM_H_
#define MIXLAW_TESTS_E2E_CHROMIUM_H_

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"

namespace mixlaw::testing_support {

inline constexpr int kBrowserTimeoutMs = 60000;  // Chromium takes a few seconds to start

// Debian's chromium on PATH, or nothing.
inline std::optional<std::string> FindChromium() {
  const char* path = std::getenv("PATH");
  for (absl::string_view dir : absl::StrSplit(path == nullptr ? "" : path, ':')) {
    for (const char* name : {"chromium", "chromium-browser"}) {
      std::filesystem::path candidate = std::filesystem::path(std::string(dir)) / name;
      if (access(candidate.c_str(), X_OK) == 0) return candidate.string();
    }
  }
  return std::nullopt;
}

// `chromium` headless with a profile in `profile_dir`, a window `width` x `height`, and its
// console on stderr; scripts run for `budget_ms` of virtual time before a capture or a dump.
inline std::vector<std::string> BrowserArgs(const std::string& chromium,
                                            const std::filesystem::path& profile_dir, int width,
                                            int height, int budget_ms) {
  return {chromium,
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-dev-shm-usage",  // a container's /dev/shm is small
          "--hide-scrollbars",
          "--no-first-run",
          "--user-data-dir=" + profile_dir.string(),
          "--window-size=" + std::to_string(width) + "," + std::to_string(height),
          "--virtual-time-budget=" + std::to_string(budget_ms),
          "--enable-logging=stderr",
          "--v=0"};
}

// The lines of Chromium's stderr that report a console message or an uncaught error.
inline std::vector<std::string> ConsoleProblems(const std::string& log) {
  std::vector<std::string> problems;
  for (absl::string_view line : absl::StrSplit(log, '\n')) {
    if (line.find("CONSOLE") != absl::string_view::npos ||
        line.find("Uncaught") != absl::string_view::npos) {
      problems.emplace_back(line);
    }
  }
  return problems;
}

}  // namespace mixlaw::testing_support

#endif  // MIXLAW_TESTS_E2E_CHROMIUM_H_
