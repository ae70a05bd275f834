#include "common/child_process.h"

#include <signal.h>

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace mixlaw
