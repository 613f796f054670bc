#include "segbench/io/atomic_file.hpp"

#include <fmt/core.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

#include "segbench/error.hpp"

namespace segbench::io {

std::filesystem::path temporary_sibling(const std::filesystem::path& path,
                                        std::string_view extension) {
  static std::atomic<unsigned> counter{0};
  std::string stem = path.filename().string();
  if (!extension.empty() && stem.size() > extension.size() && stem.ends_with(extension)) {
    stem.resize(stem.size() - extension.size());
  }
  return path.parent_path() / fmt::format(".{}.tmp-{}-{}{}", stem, static_cast<long>(::getpid()),
                                          counter.fetch_add(1), extension);
}

void move_into_place(const std::filesystem::path& temp, const std::filesystem::path& path) {
  std::error_code ec;
  std::filesystem::rename(temp, path, ec);
  if (ec) {
    std::error_code ignored;
    std::filesystem::remove(temp, ignored);
    throw DataError(fmt::format("{}: cannot rename {} into place: {}", path.string(), temp.string(),
                                ec.message()));
  }
}

AtomicFile::AtomicFile(const std::filesystem::path& path, std::string_view extension)
    : path_(path), temp_(temporary_sibling(path, extension)) {
  file_ = CheckedFile(temp_, CheckedFile::Mode::create_new, path_);
}

AtomicFile::~AtomicFile() {
  if (!committed_) {
    file_ = CheckedFile();
    std::error_code ignored;
    std::filesystem::remove(temp_, ignored);
  }
}

void AtomicFile::abandon(const std::exception& cause) {
  file_ = CheckedFile();
  std::error_code ignored;
  std::filesystem::remove(temp_, ignored);
  committed_ = true;  // nothing left to clean up
  throw DataError(
      fmt::format("{}; the temporary file was removed and nothing was written under "
                  "that name (an earlier file of that name is untouched)",
                  cause.what()));
}

void AtomicFile::write(std::string_view bytes) {
  SEGBENCH_CHECK(!committed_, DataError, "{}: written after commit", path_.string());
  try {
    file_.write(bytes);
  } catch (const DataError& e) {
    abandon(e);
  }
}

void AtomicFile::commit(Sync sync) {
  SEGBENCH_CHECK(!committed_, DataError, "{}: committed twice", path_.string());
  try {
    if (sync == Sync::yes) file_.sync();
    file_.close();
  } catch (const DataError& e) {
    abandon(e);
  }
  committed_ = true;
  move_into_place(temp_, path_);
  if (sync == Sync::yes) sync_directory(path_.parent_path());
}

void write_text_atomically(const std::filesystem::path& path, std::string_view text) {
  AtomicFile file(path);
  file.write(text);
  file.commit();
}

void copy_file_atomically(const std::filesystem::path& source,
                          const std::filesystem::path& destination) {
  std::ifstream in(source, std::ios::binary);
  SEGBENCH_CHECK(in.is_open(), DataError, "{}: cannot open for reading: {}", source.string(),
                 std::strerror(errno));
  AtomicFile out(destination);
  std::vector<char> buffer(std::size_t{1} << 20);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    out.write(buffer.data(), static_cast<std::size_t>(in.gcount()));
  }
  SEGBENCH_CHECK(in.eof(), DataError, "{}: read error while copying to {}", source.string(),
                 destination.string());
  out.commit(AtomicFile::Sync::no);
}

std::size_t remove_stale_temporaries(const std::filesystem::path& dir) {
  std::size_t removed = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    const auto mark = name.find(".tmp-");
    if (name.empty() || name[0] != '.' || mark == std::string::npos) continue;
    long pid = 0;
    const char* digits = name.data() + mark + 5;
    const auto [end, parse_error] = std::from_chars(digits, name.data() + name.size(), pid);
    if (parse_error != std::errc() || end == digits || *end != '-' || pid <= 0) continue;
    if (pid == static_cast<long>(::getpid())) continue;
    if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;  // alive, or not ours
    std::error_code remove_ec;
    if (std::filesystem::remove(entry.path(), remove_ec)) ++removed;
  }
  return removed;
}

}  // namespace segbench::io
