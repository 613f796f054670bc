#include "segbench/io/checked_file.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "segbench/error.hpp"
#include "segbench/io/fault_injection.hpp"

namespace segbench::io {

CheckedFile::CheckedFile(const std::filesystem::path& path, Mode mode, std::filesystem::path named)
    : path_(path), named_(named.empty() ? path : std::move(named)) {
  int flags = O_CLOEXEC;
  switch (mode) {
    case Mode::create_new:
      flags |= O_WRONLY | O_CREAT | O_EXCL;
      break;
    case Mode::append:
      flags |= O_WRONLY | O_CREAT | O_APPEND;
      break;
    case Mode::existing:
      flags |= O_RDONLY;
      break;
  }
  do {
    fd_ = ::open(path.c_str(), flags, 0644);
  } while (fd_ < 0 && errno == EINTR);
  if (fd_ < 0) fail("cannot create or open", errno);
}

CheckedFile::~CheckedFile() {
  if (fd_ >= 0) ::close(fd_);
}

CheckedFile::CheckedFile(CheckedFile&& other) noexcept
    : path_(std::move(other.path_)),
      named_(std::move(other.named_)),
      fd_(std::exchange(other.fd_, -1)) {}

CheckedFile& CheckedFile::operator=(CheckedFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    path_ = std::move(other.path_);
    named_ = std::move(other.named_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

void CheckedFile::fail(std::string_view what, int error, std::string_view note) const {
  const std::string temporary =
      path_ == named_ ? std::string() : fmt::format(" (temporary file {})", path_.string());
  throw DataError(
      fmt::format("{}: {}{}: {}{}", named_.string(), what, temporary, std::strerror(error), note));
}

void CheckedFile::write(std::string_view bytes) {
  if (fd_ < 0) fail("cannot write", EBADF);
  const std::size_t allowed = injected_write_allowance(named_, bytes.size());
  const bool injected = allowed < bytes.size();
  std::string_view now = bytes.substr(0, allowed);
  while (!now.empty()) {
    const ssize_t n = ::write(fd_, now.data(), now.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("cannot write", errno);
    if (n == 0) fail("cannot write", ENOSPC);
    now.remove_prefix(static_cast<std::size_t>(n));
  }
  if (injected) fail("cannot write", ENOSPC, " (injected by SEGBENCH_FAULT_INJECT)");
}

void CheckedFile::sync() const {
  if (fd_ < 0) fail("cannot fsync", EBADF);
  // EINVAL: a pipe or device that has nothing to synchronise (/dev/stdout), not a failure.
  if (::fsync(fd_) != 0 && errno != EINVAL) fail("cannot fsync", errno);
}

void CheckedFile::close() {
  if (fd_ < 0) return;
  // close() is not retried on EINTR: on Linux the descriptor is gone either way.
  if (::close(std::exchange(fd_, -1)) != 0) fail("cannot close", errno);
}

std::uintmax_t CheckedFile::size() const {
  struct stat st {};
  if (fd_ < 0 || ::fstat(fd_, &st) != 0) fail("cannot read its size", fd_ < 0 ? EBADF : errno);
  return static_cast<std::uintmax_t>(st.st_size);
}

void CheckedFile::truncate_quietly(std::uintmax_t length) noexcept {
  if (fd_ >= 0) [[maybe_unused]]
    const int ignored = ::ftruncate(fd_, static_cast<off_t>(length));
}

void sync_directory(const std::filesystem::path& dir) noexcept {
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace segbench::io
