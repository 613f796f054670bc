#include "segbench/io/atomic_file.hpp"

#include <fmt/core.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <fstream>
#include <string>
#include <system_error>

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

void write_text_atomically(const std::filesystem::path& path, std::string_view text) {
  const std::filesystem::path temp = temporary_sibling(path);
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) {
      std::error_code ignored;
      std::filesystem::remove(temp, ignored);
      throw DataError(fmt::format("{}: cannot write {}", path.string(), temp.string()));
    }
  }
  move_into_place(temp, path);
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
