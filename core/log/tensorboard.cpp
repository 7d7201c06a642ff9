#include "log/tensorboard.hpp"

#include <unistd.h>

#include <array>
#include <chrono>
#include <cstring>

#include "socrates/error.hpp"

namespace socrates {

namespace {
std::array<std::uint32_t, 256> crc_table() {
  std::array<std::uint32_t, 256> t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    t[i] = c;
  }
  return t;
}

// Protobuf wire encoding, just what Event/Summary need.
void varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}
void tag(std::string& out, int field, int wire) { varint(out, static_cast<std::uint64_t>(field << 3 | wire)); }
template <class T>
void fixed(std::string& out, T v) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  out.append(b, sizeof(T));
}
void bytes_field(std::string& out, int field, std::string_view v) {
  tag(out, field, 2);
  varint(out, v.size());
  out.append(v);
}
double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}
std::string event_header(double wall, std::int64_t step) {
  std::string e;
  tag(e, 1, 1);  // wall_time: double
  fixed(e, wall);
  tag(e, 2, 0);  // step: int64
  varint(e, static_cast<std::uint64_t>(step));
  return e;
}
}  // namespace

std::uint32_t crc32c(std::string_view data) {
  static const auto table = crc_table();
  std::uint32_t c = 0xFFFFFFFFu;
  for (unsigned char b : data) c = table[(c ^ b) & 0xff] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

std::uint32_t masked_crc32c(std::string_view data) {
  const std::uint32_t c = crc32c(data);
  return ((c >> 15) | (c << 17)) + 0xa282ead8u;
}

TensorBoardWriter::TensorBoardWriter(const std::filesystem::path& dir) {
  char host[256] = "localhost";
  gethostname(host, sizeof host - 1);
  file_ = dir / ("events.out.tfevents." + std::to_string(static_cast<std::int64_t>(now_seconds())) + "." + host);
  out_ = std::fopen(file_.c_str(), "ab");
  if (!out_) throw Error("cannot create " + file_.string() + ": " + std::strerror(errno));
  std::string e = event_header(now_seconds(), 0);
  bytes_field(e, 3, "brain.Event:2");  // file_version
  record(e);
}

TensorBoardWriter::~TensorBoardWriter() {
  if (out_) std::fclose(out_);
}

void TensorBoardWriter::scalar(const std::string& name, double value, std::int64_t step) {
  std::string v;
  bytes_field(v, 1, name);  // Summary.Value.tag
  tag(v, 2, 5);             // simple_value: float
  fixed(v, static_cast<float>(value));
  std::string summary;
  bytes_field(summary, 1, v);  // Summary.value
  std::string e = event_header(now_seconds(), step);
  bytes_field(e, 5, summary);  // Event.summary
  record(e);
}

void TensorBoardWriter::record(const std::string& data) {
  std::string frame;
  const std::uint64_t len = data.size();
  std::string len_bytes(reinterpret_cast<const char*>(&len), 8);
  frame += len_bytes;
  fixed(frame, masked_crc32c(len_bytes));
  frame += data;
  fixed(frame, masked_crc32c(data));
  if (std::fwrite(frame.data(), 1, frame.size(), out_) != frame.size()) {
    throw Error("cannot write " + file_.string() + ": " + std::strerror(errno));
  }
}

void TensorBoardWriter::flush() { std::fflush(out_); }

}  // namespace socrates
