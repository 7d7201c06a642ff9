// A TensorBoard event-file writer for scalars: TFRecord framing (length, masked CRC32C)
// around hand-encoded Event protobufs. No TensorFlow or protobuf dependency.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>

namespace socrates {

/// CRC-32C (Castagnoli) of `data`, and TFRecord's masked form of it.
std::uint32_t crc32c(std::string_view data);
std::uint32_t masked_crc32c(std::string_view data);

class TensorBoardWriter {
 public:
  /// Creates <dir>/events.out.tfevents.<time>.<host> and writes the version record.
  explicit TensorBoardWriter(const std::filesystem::path& dir);
  ~TensorBoardWriter();
  TensorBoardWriter(const TensorBoardWriter&) = delete;
  TensorBoardWriter& operator=(const TensorBoardWriter&) = delete;

  void scalar(const std::string& tag, double value, std::int64_t step);
  void flush();
  const std::filesystem::path& file() const { return file_; }

 private:
  void record(const std::string& event);
  std::filesystem::path file_;
  std::FILE* out_ = nullptr;
};

}  // namespace socrates
