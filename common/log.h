// The one logging path: timestamped lines on stderr, filtered by a process-wide level.
#ifndef MIXLAW_COMMON_LOG_H_
#define MIXLAW_COMMON_LOG_H_

#include <sstream>
#include <string_view>

namespace mixlaw {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3, kQuiet = 4 };

// Messages below `level` are dropped. Thread-safe.
void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();

// Collects one message and writes it, whole, when destroyed.
class LogMessage {
 public:
  LogMessage(LogLevel level, const char* file, int line);
  ~LogMessage();
  LogMessage(const LogMessage&) = delete;
  LogMessage& operator=(const LogMessage&) = delete;
  std::ostream& stream() { return stream_; }

 private:
  LogLevel level_;
  std::ostringstream stream_;
};

}  // namespace mixlaw

#define MIXLAW_LOG(severity)                                       \
  if (::mixlaw::LogLevel::k##severity < ::mixlaw::GetLogLevel()) { \
  } else                                                           \
    ::mixlaw::LogMessage(::mixlaw::LogLevel::k##severity, __FILE__, __LINE__).stream()

#endif  // MIXLAW_COMMON_LOG_H_
