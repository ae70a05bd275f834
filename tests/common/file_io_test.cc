// Whole-file reads and replace-at-once writes: a failed write leaves the old file as it was.
#include "common/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

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
  // The names in the directory: no temporary may be left behind.
  std::vector<std::string> Names() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir_)) names.push_back(entry.path().filename());
    std::sort(names.begin(), names.end());
    return names;
  }
  fs::path dir_;
};

TEST_F(FileIoTest, WritesThenReadsBackEveryByte) {
  const std::string bytes("line one\n\0binary\xff tail", 22);
  ASSERT_TRUE(WriteFileAtomically(Path("a.bin"), bytes).ok());
  absl::StatusOr<std::string> back = ReadFileToString(Path("a.bin"));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, bytes);
  EXPECT_EQ(Names(), std::vector<std::string>{"a.bin"});

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
  EXPECT_EQ(failed.message().rfind(Path("study.json") + ": cannot be written: ", 0), 0u)
      << failed.message();
  EXPECT_EQ(*ReadFileToString(Path("study.json")), "{\"kept\": true}\n");
  EXPECT_EQ(Names(), std::vector<std::string>{"study.json"});
}

TEST_F(FileIoTest, AMissingDirectoryIsAnErrorNamingThePath) {
  absl::Status status = WriteFileAtomically(Path("no/such/dir/fit.json"), "{}");
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(status.message().rfind(Path("no/such/dir/fit.json") + ": cannot be written: ", 0), 0u)
      << status.message();
  EXPECT_NE(status.message().find("No such file or directory"), std::string::npos)
      << status.message();
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
  EXPECT_EQ(Names(), std::vector<std::string>{"out.fifo"});
}

// A link is written through, as a plain open would: the link stays, its target gets the bytes.
TEST_F(FileIoTest, ALinkIsWrittenThrough) {
  ASSERT_TRUE(WriteFileAtomically(Path("target.csv"), "old\n").ok());
  fs::create_symlink(Path("target.csv"), Path("link.csv"));
  ASSERT_TRUE(WriteFileAtomically(Path("link.csv"), "new\n").ok());
  EXPECT_TRUE(fs::is_symlink(Path("link.csv")));
  EXPECT_EQ(*ReadFileToString(Path("target.csv")), "new\n");
  EXPECT_EQ(Names(), (std::vector<std::string>{"link.csv", "target.csv"}));
}

TEST_F(FileIoTest, AReplacedFileKeepsItsPermissions) {
  ASSERT_TRUE(WriteFileAtomically(Path("token"), "secret\n").ok());
  fs::permissions(Path("token"), fs::perms::owner_read | fs::perms::owner_write);
  ASSERT_TRUE(WriteFileAtomically(Path("token"), "rotated\n").ok());
  EXPECT_EQ(fs::status(Path("token")).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(*ReadFileToString(Path("token")), "rotated\n");
}

}  // namespace
}  // namespace mixlaw
