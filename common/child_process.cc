#include "common/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/time.h"

extern char** environ;

namespace mixlaw {

std::string ShellQuote(const std::string& value) {
  std::string quoted = "'";
  for (char c : value) {
    if (c == '\'') {
      quoted += "'\"'\"'";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

std::string ExitStatus::Describe() const {
  if (exited) return absl::StrCat("exit code ", code);
  return absl::StrCat("killed by signal ", signal, " (", strsignal(signal), ")");
}

namespace {

// The guard's whole life, in a child forked from a possibly multi-threaded process: only
// async-signal-safe calls. It waits on its pipe; end of file without a byte first means the
// parent died, and the child's process group is stopped.
[[noreturn]] void RunGuard(int pipe_fd, pid_t group, int grace_ms) {
  setpgid(0, 0);  // out of the parent's group: a signal to it does not end the guard
  struct sigaction dfl = {};
  dfl.sa_handler = SIG_DFL;
  struct sigaction ign = {};
  ign.sa_handler = SIG_IGN;
  sigaction(SIGTERM, &dfl, nullptr);
  sigaction(SIGINT, &ign, nullptr);
  sigaction(SIGHUP, &ign, nullptr);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  if (pipe_fd != 0) dup2(pipe_fd, 0);
  syscall(SYS_close_range, 1u, ~0u, 0u);  // no copy of the parent's sockets or other pipes
  char byte = 0;
  ssize_t n;
  while ((n = read(0, &byte, 1)) < 0 && errno == EINTR) {
  }
  if (n == 0) {
    kill(-group, SIGTERM);
    timespec wait = {grace_ms / 1000, static_cast<long>(grace_ms % 1000) * 1000000L};
    while (nanosleep(&wait, &wait) != 0 && errno == EINTR) {
    }
    kill(-group, SIGKILL);
  }
  _exit(0);
}

ExitStatus FromWaitStatus(int status) {
  ExitStatus s;
  if (WIFEXITED(status)) {
    s.exited = true;
    s.code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    s.signal = WTERMSIG(status);
  }
  return s;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::Spawn(const SpawnOptions& options) {
  if (options.argv.empty()) return absl::InvalidArgumentError("empty command");
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0)
    return absl::InternalError(absl::StrCat("pipe: ", strerror(errno)));
  if (pipe2(err, O_CLOEXEC) != 0) {
    close(out[0]);
    close(out[1]);
    return absl::InternalError(absl::StrCat("pipe: ", strerror(errno)));
  }

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  if (!options.cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, options.cwd.c_str());
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t default_signals;
  sigemptyset(&default_signals);
  sigaddset(&default_signals, SIGTERM);
  sigaddset(&default_signals, SIGINT);
  sigaddset(&default_signals, SIGPIPE);
  posix_spawnattr_setsigdefault(&attr, &default_signals);
  sigset_t no_signals;
  sigemptyset(&no_signals);
  posix_spawnattr_setsigmask(&attr, &no_signals);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
  for (const std::string& extra : options.env) env_strings.push_back(extra);
  std::vector<char*> envp;
  for (std::string& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_strings = options.argv;
  std::vector<char*> argv;
  for (std::string& a : argv_strings) argv.push_back(a.data());
  argv.push_back(nullptr);

  pid_t pid = 0;
  int rc = posix_spawnp(&pid, argv[0], &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(out[1]);
  close(err[1]);
  if (rc != 0) {
    close(out[0]);
    close(err[0]);
    return absl::FailedPreconditionError(
        absl::StrCat("cannot start '", options.argv[0], "': ", strerror(rc)));
  }
  fcntl(out[0], F_SETFL, fcntl(out[0], F_GETFL) | O_NONBLOCK);
  fcntl(err[0], F_SETFL, fcntl(err[0], F_GETFL) | O_NONBLOCK);
  std::unique_ptr<ChildProcess> child(
      new ChildProcess(pid, out[0], err[0], options.stderr_tail_bytes));
  if (options.stop_group_with_parent_grace_ms.has_value()) {
    int guard[2];
    if (pipe2(guard, O_CLOEXEC) != 0) {
      return absl::InternalError(absl::StrCat("pipe: ", strerror(errno)));
    }
    pid_t guard_pid = fork();
    if (guard_pid == 0) RunGuard(guard[0], pid, *options.stop_group_with_parent_grace_ms);
    close(guard[0]);
    if (guard_pid < 0) {
      close(guard[1]);
      return absl::InternalError(absl::StrCat("fork: ", strerror(errno)));
    }
    child->guard_pid_ = guard_pid;
    child->guard_fd_ = guard[1];
  }
  return child;
}

void ChildProcess::ReleaseGuard() {
  if (guard_fd_ < 0) return;
  char done = 1;
  while (write(guard_fd_, &done, 1) < 0 && errno == EINTR) {
  }
  close(guard_fd_);
  guard_fd_ = -1;
  int status = 0;
  while (waitpid(guard_pid_, &status, 0) < 0 && errno == EINTR) {
  }
  guard_pid_ = -1;
}

ChildProcess::ChildProcess(pid_t pid, int stdout_fd, int stderr_fd, size_t tail_bytes)
    : pid_(pid), stdout_fd_(stdout_fd), stderr_fd_(stderr_fd), tail_bytes_(tail_bytes) {}

ChildProcess::~ChildProcess() {
  if (!status_.has_value()) {
    Signal(SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  ReleaseGuard();
  if (stdout_fd_ >= 0) close(stdout_fd_);
  if (stderr_fd_ >= 0) close(stderr_fd_);
}

void ChildProcess::DrainFd(int* fd, bool is_stdout, std::vector<std::string>* lines) {
  char buffer[65536];
  while (*fd >= 0) {
    ssize_t n = read(*fd, buffer, sizeof(buffer));
    if (n > 0) {
      if (is_stdout) {
        stdout_partial_.append(buffer, static_cast<size_t>(n));
        size_t start = 0;
        for (size_t nl; (nl = stdout_partial_.find('\n', start)) != std::string::npos;
             start = nl + 1) {
          lines->emplace_back(stdout_partial_, start, nl - start);
        }
        stdout_partial_.erase(0, start);
      } else {
        stderr_tail_.append(buffer, static_cast<size_t>(n));
        if (stderr_tail_.size() > tail_bytes_) {
          stderr_tail_.erase(0, stderr_tail_.size() - tail_bytes_);
        }
      }
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n < 0 && errno == EINTR) continue;
    // End of file (or an error that ends the stream the same way).
    if (is_stdout && !stdout_partial_.empty()) {
      lines->push_back(stdout_partial_);
      stdout_partial_.clear();
    }
    close(*fd);
    *fd = -1;
  }
}

bool ChildProcess::Poll(int timeout_ms, std::vector<std::string>* lines) {
  if (stdout_fd_ < 0 && stderr_fd_ < 0) return false;
  pollfd fds[2];
  nfds_t count = 0;
  if (stdout_fd_ >= 0) fds[count++] = {stdout_fd_, POLLIN, 0};
  if (stderr_fd_ >= 0) fds[count++] = {stderr_fd_, POLLIN, 0};
  int ready = poll(fds, count, timeout_ms);
  if (ready > 0) {
    DrainFd(&stdout_fd_, true, lines);
    DrainFd(&stderr_fd_, false, lines);
  }
  return stdout_fd_ >= 0 || stderr_fd_ >= 0;
}

void ChildProcess::Signal(int sig) {
  if (status_.has_value()) return;
  kill(-pid_, sig);
}

std::optional<ExitStatus> ChildProcess::TryWait() {
  if (status_.has_value()) return status_;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    status_ = FromWaitStatus(status);
    ReleaseGuard();
  }
  return status_;
}

ExitStatus ChildProcess::Wait(std::vector<std::string>* lines) {
  // Read until the child ends; then give its output a moment to drain, since a process it left
  // behind may still hold the pipes open.
  while (!TryWait().has_value() && Poll(200, lines)) {
  }
  if (!status_.has_value()) {
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    status_ = FromWaitStatus(status);
    ReleaseGuard();
  }
  int64_t deadline = MonotonicMillis() + 2000;
  while (MonotonicMillis() < deadline && Poll(100, lines)) {
  }
  DrainFd(&stdout_fd_, true, lines);
  DrainFd(&stderr_fd_, false, lines);
  if (stdout_fd_ >= 0) {
    if (!stdout_partial_.empty()) lines->push_back(stdout_partial_);
    stdout_partial_.clear();
    close(stdout_fd_);
    stdout_fd_ = -1;
  }
  if (stderr_fd_ >= 0) {
    close(stderr_fd_);
    stderr_fd_ = -1;
  }
  return *status_;
}

ExitStatus ChildProcess::Terminate(int grace_ms, std::vector<std::string>* lines) {
  Signal(SIGTERM);
  int64_t deadline = MonotonicMillis() + grace_ms;
  while (!TryWait().has_value()) {
    if (MonotonicMillis() >= deadline) {
      Signal(SIGKILL);
      break;
    }
    Poll(50, lines);
  }
  return Wait(lines);
}

}  // namespace mixlaw
