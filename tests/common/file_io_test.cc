// Whole-file reads and replace-at-once writes: a failed write leaves the old file as it was.
#include "common/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "gtest/gtest.h"

namespace mixlaw {
namespace {

namespace fs = std::filesystem;

class FileIoTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(testing::TempDir()) /
           ("mixlaw-file-io-" + std::to_string(getpid()) + "-" +
            testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

TEST_F(FileIoTest, WritesThenReadsBackEveryByte) {
  const std::string bytes("line one\n\0binary\xff tail", 22);
  ASSERT_TRUE(WriteFileAtomically(Path("a.bin"), bytes).ok());
  absl::StatusOr<std::string> back = ReadFileToString(Path("a.bin"));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, bytes);
  EXPECT_FALSE(fs::exists(Path("a.bin.tmp")));

  ASSERT_TRUE(WriteFileAtomically(Path("a.bin"), "shorter").ok());
  EXPECT_EQ(*ReadFileToString(Path("a.bin")), "shorter");
}

TEST_F(FileIoTest, AMissingFileIsNotFoundAndNamed) {
  absl::StatusOr<std::string> text = ReadFileToString(Path("absent.json"));
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(text.status().message(), Path("absent.json") + ": cannot be read");
}

TEST_F(FileIoTest, AFailedWriteKeepsTheOldFileAndLeavesNoTemporary) {
  ASSERT_TRUE(WriteFileAtomically(Path("study.json"), "{\"kept\": true}\n").ok());
  absl::Status failed = WriteFileAtomically(Path("study.json"), [](std::ostream& out) {
    out << "{\"half\":";
    out.setstate(std::ios::badbit);  // as a full disk would
  });
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(failed.message(), Path("study.json") + ": cannot be written");
  EXPECT_EQ(*ReadFileToString(Path("study.json")), "{\"kept\": true}\n");
  EXPECT_FALSE(fs::exists(Path("study.json.tmp")));
}

TEST_F(FileIoTest, AMissingDirectoryIsAnErrorNamingThePath) {
  absl::Status status = WriteFileAtomically(Path("no/such/dir/fit.json"), "{}");
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(status.message(),
            Path("no/such/dir/fit.json") + ": cannot be written: No such file or directory");
}

// `--out` given a pipe: the bytes go down the pipe, not into a file renamed over it.
TEST_F(FileIoTest, APipeIsWrittenInPlace) {
  const std::string fifo = Path("out.fifo");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  const int reader = open(fifo.c_str(), O_RDONLY | O_NONBLOCK);  // so the writer's open returns
  ASSERT_GE(reader, 0);
  EXPECT_TRUE(WriteFileAtomically(fifo, "down the pipe").ok());
  char buffer[64] = {};
  const ssize_t n = read(reader, buffer, sizeof(buffer));
  close(reader);
  EXPECT_EQ(std::string(buffer, n > 0 ? static_cast<size_t>(n) : 0), "down the pipe");
  EXPECT_TRUE(fs::is_fifo(fifo));
  EXPECT_FALSE(fs::exists(fifo + ".tmp"));
}

}  // namespace
}  // namespace mixlaw
