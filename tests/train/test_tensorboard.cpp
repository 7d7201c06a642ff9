// The TensorBoard writer: CRC-32C, TFRecord framing, and the Event protobuf bytes.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "log/tensorboard.hpp"

using namespace socrates;

TEST(TensorBoard, Crc32cKnownVectors) {
  EXPECT_EQ(crc32c("123456789"), 0xE3069283u);  // the standard check value
  EXPECT_EQ(crc32c(""), 0u);
}

TEST(TensorBoard, RecordsAreFramedWithValidChecksums) {
  const auto dir = std::filesystem::temp_directory_path() / "socrates-tb-test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::filesystem::path file;
  {
    TensorBoardWriter w(dir);
    w.scalar("train/loss", 2.5, 7);
    file = w.file();
  }
  std::ifstream in(file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string bytes = ss.str();
  std::size_t pos = 0;
  std::vector<std::string> records;
  while (pos < bytes.size()) {
    ASSERT_LE(pos + 12, bytes.size());
    std::uint64_t len;
    std::memcpy(&len, bytes.data() + pos, 8);
    std::uint32_t len_crc, data_crc;
    std::memcpy(&len_crc, bytes.data() + pos + 8, 4);
    EXPECT_EQ(len_crc, masked_crc32c(bytes.substr(pos, 8)));
    const std::string data = bytes.substr(pos + 12, len);
    std::memcpy(&data_crc, bytes.data() + pos + 12 + len, 4);
    EXPECT_EQ(data_crc, masked_crc32c(data));
    records.push_back(data);
    pos += 12 + len + 4;
  }
  ASSERT_EQ(records.size(), 2u);
  EXPECT_NE(records[0].find("brain.Event:2"), std::string::npos);
  EXPECT_NE(records[1].find("train/loss"), std::string::npos);
  float v = 2.5f;
  EXPECT_NE(records[1].find(std::string("\x15", 1) + std::string(reinterpret_cast<char*>(&v), 4)), std::string::npos);
  EXPECT_NE(records[1].find(std::string("\x10\x07", 2)), std::string::npos);  // step 7
  std::filesystem::remove_all(dir);
}
