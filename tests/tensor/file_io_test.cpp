#include "yoloq/support/file_io.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "test_support.hpp"

namespace fs = std::filesystem;
using yoloq::testing::error_message;
using yoloq::testing::ScratchDir;

TEST(FileIo, ReadsWholeFiles) {
  ScratchDir dir;
  std::string bytes("a\0b\xff", 4);
  yoloq::testing::spit(dir / "f.bin", bytes);
  EXPECT_EQ(yoloq::read_file(dir / "f.bin"), bytes);
  yoloq::testing::spit(dir / "empty", "");
  EXPECT_EQ(yoloq::read_file(dir / "empty"), "");
}

TEST(FileIo, RefusesWhatIsNotARegularFile) {
  ScratchDir dir;
  EXPECT_EQ(error_message([&] { yoloq::read_file(dir / "none"); }), (dir / "none").string() + ": no such file");
  EXPECT_EQ(error_message([&] { yoloq::read_file(dir.path()); }),
            dir.path().string() + ": is a directory, expected a file");
  // Reading these would never end or would block.
  EXPECT_EQ(error_message([] { yoloq::read_file("/dev/zero"); }), "/dev/zero: is not a regular file");
  ASSERT_EQ(::mkfifo((dir / "pipe").c_str(), 0600), 0);
  EXPECT_EQ(error_message([&] { yoloq::read_file(dir / "pipe"); }), (dir / "pipe").string() + ": is not a regular file");
}

TEST(FileIo, AtomicWriteReplacesOrLeavesNothing) {
  ScratchDir dir;
  yoloq::write_file_atomically(dir / "out", "first");
  yoloq::write_file_atomically(dir / "out", "second");
  EXPECT_EQ(yoloq::read_file(dir / "out"), "second");

  EXPECT_THROW(yoloq::write_atomically(dir / "out",
                                       [](const fs::path& tmp) {
                                         yoloq::testing::spit(tmp, "half");
                                         throw yoloq::Error("interrupted");
                                       }),
               yoloq::Error);
  EXPECT_EQ(yoloq::read_file(dir / "out"), "second");  // the old file is untouched
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);  // no temporary left

  EXPECT_EQ(error_message([&] { yoloq::write_file_atomically(dir.path(), "x"); }),
            dir.path().string() + ": output path is a directory");
}
