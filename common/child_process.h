// A child process with piped stdout and stderr, in its own process group so that a signal
// reaches everything it started (a torchrun wrapper and its ranks, say).
#ifndef MIXLAW_COMMON_CHILD_PROCESS_H_
#define MIXLAW_COMMON_CHILD_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace mixlaw {

struct SpawnOptions {
  std::vector<std::string> argv;  // argv[0] is looked up on PATH when it has no slash
  std::string cwd;                // empty: inherit
  std::vector<std::string> env;   // extra "NAME=value" entries on top of this environment
  size_t stderr_tail_bytes = 8192;
  // With a value: a guard process outlives this one to stop the child's process group when this
  // process dies without doing so (SIGKILL, a crash): SIGTERM to the group, then SIGKILL after
  // this many milliseconds. A trainer and everything it started (torchrun's ranks) never outlive
  // their worker.
  std::optional<int> stop_group_with_parent_grace_ms;
};

struct ExitStatus {
  bool exited = false;  // true: ended by exit(code); false: killed by `signal`
  int code = -1;
  int signal = 0;
  std::string Describe() const;  // "exit code 3", "killed by signal 9 (Killed)"
};

// Quotes `value` for /bin/sh ('it'"'"'s').
std::string ShellQuote(const std::string& value);

class ChildProcess {
 public:
  // Starts the process. The error names argv[0] and the reason.
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Spawn(const SpawnOptions& options);

  // Kills the process group if it still runs and reaps the child.
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }

  // Waits up to timeout_ms for output, appends each complete stdout line (without its newline)
  // to `lines` and keeps the tail of stderr. Returns false once both pipes reached end of file.
  bool Poll(int timeout_ms, std::vector<std::string>* lines);

  // Sends `sig` to the child's process group.
  void Signal(int sig);

  // The exit status if the child has ended, without blocking.
  std::optional<ExitStatus> TryWait();

  // Reads the remaining output into `lines` and blocks until the child ends.
  ExitStatus Wait(std::vector<std::string>* lines);

  // SIGTERM to the group, then SIGKILL after grace_ms if it is still running; reaps it.
  ExitStatus Terminate(int grace_ms, std::vector<std::string>* lines);

  // The last bytes the child wrote to stderr.
  const std::string& stderr_tail() const { return stderr_tail_; }

 private:
  ChildProcess(pid_t pid, int stdout_fd, int stderr_fd, size_t tail_bytes);
  void DrainFd(int* fd, bool is_stdout, std::vector<std::string>* lines);
  // Tells the guard (if any) that the child was reaped, so it ends without signalling.
  void ReleaseGuard();

  pid_t pid_;
  int stdout_fd_;
  int stderr_fd_;
  size_t tail_bytes_;
  std::string stdout_partial_;
  std::string stderr_tail_;
  std::optional<ExitStatus> status_;
  pid_t guard_pid_ = -1;
  int guard_fd_ = -1;  // the write end of the guard's pipe: end of file means this process died
};

}  // namespace mixlaw

#endif  // MIXLAW_COMMON_CHILD_PROCESS_H_
