#include "io/mapped_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "socrates/error.hpp"

namespace socrates {

namespace {

int to_madvise(MappedFile::Advice advice) {
  switch (advice) {
    case MappedFile::Advice::Sequential: return MADV_SEQUENTIAL;
    case MappedFile::Advice::Random: return MADV_RANDOM;
    case MappedFile::Advice::WillNeed: return MADV_WILLNEED;
    case MappedFile::Advice::DontNeed: return MADV_DONTNEED;
    case MappedFile::Advice::Normal: break;
  }
  return MADV_NORMAL;
}

}  // namespace

MappedFile::MappedFile(std::filesystem::path path, const std::byte* data, std::uint64_t size)
    : path_(std::move(path)), data_(data), size_(size) {}

MappedFile::~MappedFile() {
  if (data_ != nullptr) ::munmap(const_cast<std::byte*>(data_), size_);
}

std::shared_ptr<const MappedFile> MappedFile::open(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    throw Error(path.string() + ": cannot open: " + std::strerror(err) + ".");
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    throw Error(path.string() + ": cannot read its size: " + std::strerror(err) + ".");
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    throw Error(path.string() + (S_ISDIR(st.st_mode) ? ": is a folder, not a file." : ": is not a regular file."));
  }
  const auto size = static_cast<std::uint64_t>(st.st_size);
  void* data = nullptr;
  if (size > 0) {
    data = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (data == MAP_FAILED) {
      const int err = errno;
      ::close(fd);
      throw Error(path.string() + ": cannot map the file into memory: " + std::strerror(err) +
                  ". Copy it to a local disk and try again.");
    }
  }
  ::close(fd);  // the mapping keeps the file open
  return std::shared_ptr<const MappedFile>(new MappedFile(path, static_cast<const std::byte*>(data), size));
}

void MappedFile::advise(std::uint64_t offset, std::uint64_t length, Advice advice) const {
  if (data_ == nullptr || offset >= size_ || length == 0) return;
  static const std::uint64_t page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  const std::uint64_t end = std::min(size_, offset + std::min(length, size_ - offset));
  const std::uint64_t start = offset / page * page;
  ::madvise(const_cast<std::byte*>(data_) + start, end - start, to_madvise(advice));
}

}  // namespace socrates
