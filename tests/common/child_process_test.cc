#include "common/child_process.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

namespace mixlaw {
namespace {

TEST(ChildProcessTest, ReadsLinesStderrTailAndExitCode) {
  SpawnOptions options;
  options.argv = {"/bin/sh", "-c", "echo one; echo two; printf three; echo oops >&2; exit 7"};
  auto child = ChildProcess::Spawn(options);
  ASSERT_TRUE(child.ok()) << child.status();
  std::vector<std::string> lines;
  ExitStatus status = (*child)->Wait(&lines);
  EXPECT_EQ(lines, (std::vector<std::string>{"one", "two", "three"}));
  EXPECT_EQ((*child)->stderr_tail(), "oops\n");
  EXPECT_TRUE(status.exited);
  EXPECT_EQ(status.code, 7);
  EXPECT_EQ(status.Describe(), "exit code 7");
}

TEST(ChildProcessTest, TerminateStopsTheWholeProcessGroup) {
  SpawnOptions options;
  // The grandchild would keep the pipe open if it were not signalled with its parent.
  options.argv = {"/bin/sh", "-c", "sleep 60 & echo started; wait"};
  auto child = ChildProcess::Spawn(options);
  ASSERT_TRUE(child.ok());
  std::vector<std::string> lines;
  while (lines.empty()) (*child)->Poll(1000, &lines);
  ExitStatus status = (*child)->Terminate(2000, &lines);
  EXPECT_FALSE(status.exited);
  EXPECT_EQ(status.signal, SIGTERM);
}

TEST(ChildProcessTest, MissingProgramIsAnError) {
  SpawnOptions options;
  options.argv = {"/nonexistent/trainer"};
  auto child = ChildProcess::Spawn(options);
  ASSERT_FALSE(child.ok());
  EXPECT_NE(child.status().message().find("/nonexistent/trainer"), std::string::npos);
}

// Whether a process is alive (a zombie counts as ended).
bool Alive(pid_t pid) {
  std::error_code ec;
  std::string stat = "/proc/" + std::to_string(pid) + "/stat";
  if (!std::filesystem::exists(stat, ec)) return false;
  FILE* f = fopen(stat.c_str(), "r");
  if (f == nullptr) return false;
  char state = '?';
  int ignored = 0;
  char name[256];
  int got = fscanf(f, "%d %255s %c", &ignored, name, &state);
  fclose(f);
  return got == 3 && state != 'Z' && state != 'X';
}

// A parent killed by SIGKILL cannot stop its children; the guard does, for the whole group: the
// shell and the sleep it started in the background.
TEST(ChildProcessTest, GuardStopsTheGroupWhenTheParentIsKilled) {
  int report[2];
  ASSERT_EQ(pipe(report), 0);
  pid_t parent = fork();
  if (parent == 0) {
    close(report[0]);
    SpawnOptions options;
    options.argv = {"/bin/sh", "-c", "sleep 300 & echo $!; wait"};
    options.stop_group_with_parent_grace_ms = 200;
    auto child = ChildProcess::Spawn(options);
    if (!child.ok()) _exit(1);
    std::vector<std::string> lines;
    while (lines.empty() && (*child)->Poll(1000, &lines)) {
    }
    std::string pids = std::to_string((*child)->pid()) + " " + (lines.empty() ? "0" : lines[0]);
    if (write(report[1], pids.data(), pids.size()) < 0) _exit(1);
    close(report[1]);
    pause();
    _exit(0);
  }
  close(report[1]);
  char buffer[64] = {};
  ASSERT_GT(read(report[0], buffer, sizeof(buffer) - 1), 0);
  close(report[0]);
  pid_t shell = 0, sleeper = 0;
  ASSERT_EQ(sscanf(buffer, "%d %d", &shell, &sleeper), 2) << buffer;
  ASSERT_TRUE(Alive(shell));
  ASSERT_TRUE(Alive(sleeper));
  kill(parent, SIGKILL);
  waitpid(parent, nullptr, 0);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while ((Alive(shell) || Alive(sleeper)) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_FALSE(Alive(sleeper)) << "the background sleep outlived its killed parent";
  EXPECT_FALSE(Alive(shell)) << "the shell outlived its killed parent";
}

// A child that ends normally releases its guard: nothing is signalled, nothing left behind.
TEST(ChildProcessTest, GuardEndsWithItsChild) {
  SpawnOptions options;
  options.argv = {"/bin/sh", "-c", "echo done"};
  options.stop_group_with_parent_grace_ms = 200;
  auto child = ChildProcess::Spawn(options);
  ASSERT_TRUE(child.ok()) << child.status();
  std::vector<std::string> lines;
  ExitStatus status = (*child)->Wait(&lines);
  EXPECT_TRUE(status.exited);
  EXPECT_EQ(status.code, 0);
  ASSERT_EQ(lines.size(), 1u);
  int guards = 0;
  while (waitpid(-1, nullptr, WNOHANG) > 0) ++guards;
  EXPECT_EQ(guards, 0) << "the guard was not reaped with its child";
}

}  // namespace
}  // namespace mixlaw
