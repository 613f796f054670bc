#include "segbench/train/checkpoint_file.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <regex>

#include "segbench/error.hpp"
#include "segbench/io/atomic_file.hpp"
#include "segbench/io/md5.hpp"

namespace segbench {
namespace {

constexpr std::string_view kMagic = "SEGBENCH-CHECKPOINT";
// The metadata is a few KB; anything longer is not a checkpoint of ours.
constexpr std::size_t kMaxMetadataBytes = std::size_t{16} << 20;

[[noreturn]] void fail(const std::filesystem::path& path, const std::string& what) {
  throw TrainingError(fmt::format("checkpoint {}: {}", path.string(), what));
}

/// An io error's text without its leading "<path>: ", which fail() names already.
std::string without_path(const std::filesystem::path& path, std::string what) {
  const std::string prefix = path.string() + ": ";
  if (what.starts_with(prefix)) what.erase(0, prefix.size());
  return what;
}

// Fault injection for the reliability tests: SEGBENCH_FAULT_INJECT=checkpoint_write_kill:N
// kills the process (SIGKILL) halfway through its N-th checkpoint write, and
// checkpoint_write_fail:N makes that write fail as a full disk would (ENOSPC).
enum class InjectedFault { none, kill, fail };

InjectedFault fault_for_this_write() {
  static int writes = 0;
  ++writes;
  const char* spec = std::getenv("SEGBENCH_FAULT_INJECT");
  if (spec == nullptr) return InjectedFault::none;
  const std::string text(spec);
  for (const auto& [name, fault] :
       {std::pair{std::string("checkpoint_write_kill:"), InjectedFault::kill},
        std::pair{std::string("checkpoint_write_fail:"), InjectedFault::fail}}) {
    if (text.rfind(name, 0) == 0 && std::atoi(text.c_str() + name.size()) == writes) return fault;
  }
  return InjectedFault::none;
}

std::string header_line(const std::string& metadata_line) {
  return fmt::format("{} {} {}\n", kMagic, kCheckpointFormatVersion, io::md5_hex(metadata_line));
}

}  // namespace

void write_checkpoint_file(const std::filesystem::path& path, nlohmann::json metadata,
                           const std::vector<CheckpointSection>& sections) {
  auto listed = nlohmann::json::array();
  for (const auto& s : sections) {
    listed.push_back({{"name", s.name}, {"size", s.bytes.size()}, {"md5", io::md5_hex(s.bytes)}});
  }
  metadata["format_version"] = kCheckpointFormatVersion;
  metadata["sections"] = std::move(listed);
  const std::string metadata_line = metadata.dump() + "\n";

  try {
    if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  } catch (const std::filesystem::filesystem_error& e) {
    fail(path, fmt::format("cannot create its directory: {}", e.what()));
  }
  const auto temp = io::temporary_sibling(path);
  const InjectedFault fault = fault_for_this_write();
  try {
    // io::CheckedFile: also the disk_budget and write_fail injections of fault_injection.hpp.
    io::CheckedFile file(temp, io::CheckedFile::Mode::create_new, path);
    file.write(header_line(metadata_line));
    file.write(metadata_line);
    for (const auto& s : sections) {
      if (fault != InjectedFault::none) {
        file.write(std::string_view(s.bytes).substr(0, s.bytes.size() / 2));
        if (fault == InjectedFault::kill) std::raise(SIGKILL);
        errno = ENOSPC;
        throw TrainingError(fmt::format("cannot write {}: {} (injected by SEGBENCH_FAULT_INJECT)",
                                        temp.string(), std::strerror(errno)));
      }
      file.write(s.bytes);
    }
    file.sync();
    file.close();
  } catch (const Error& e) {
    std::error_code ignored;
    std::filesystem::remove(temp, ignored);
    fail(path, fmt::format("not written ({}); the previous checkpoint is untouched",
                           without_path(path, e.what())));
  }
  try {
    io::move_into_place(temp, path);
  } catch (const DataError& e) {
    fail(path, without_path(path, e.what()));
  }
  io::sync_directory(path.parent_path());
}

CheckpointFileInfo read_checkpoint_header(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) fail(path, "does not exist");
  const std::uintmax_t file_size = std::filesystem::file_size(path, ec);
  if (ec) fail(path, fmt::format("cannot read its size: {}", ec.message()));
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot be opened");

  std::string header;
  std::getline(in, header);
  if (!in || header.rfind(kMagic, 0) != 0) {
    fail(path, "not a segbench checkpoint (no SEGBENCH-CHECKPOINT header)");
  }
  const std::regex header_form(R"(SEGBENCH-CHECKPOINT (\d{1,9}) ([0-9a-f]{32}))");
  std::smatch m;
  if (!std::regex_match(header, m, header_form)) fail(path, "damaged header line");
  if (std::stoll(m[1].str()) != kCheckpointFormatVersion) {
    fail(path, fmt::format("format version {} (this build reads {})", m[1].str(),
                           kCheckpointFormatVersion));
  }
  // The metadata line, bounded: a file without a newline in its first 16 MiB is not ours.
  std::string metadata_line;
  char c = 0;
  while (in.get(c)) {
    metadata_line.push_back(c);
    if (c == '\n') break;
    if (metadata_line.size() > kMaxMetadataBytes) fail(path, "metadata line too long");
  }
  if (metadata_line.empty() || metadata_line.back() != '\n') fail(path, "truncated metadata");
  if (io::md5_hex(metadata_line) != m[2].str()) {
    fail(path, "metadata checksum mismatch (the file is damaged)");
  }
  CheckpointFileInfo info{path, nlohmann::json::parse(metadata_line, nullptr, false),
                          header.size() + 1 + metadata_line.size()};
  if (info.metadata.is_discarded() || !info.metadata.contains("sections") ||
      !info.metadata["sections"].is_array()) {
    fail(path, "metadata is not a checkpoint's");
  }
  std::uintmax_t payload = 0;
  for (const auto& s : info.metadata["sections"]) {
    if (!s.contains("size") || !s["size"].is_number_unsigned()) fail(path, "bad section entry");
    payload += s["size"].get<std::uintmax_t>();
  }
  if (info.payload_offset + payload != file_size) {
    fail(path, fmt::format("{} bytes, the header promises {}: the file is truncated or has "
                           "trailing bytes",
                           file_size, info.payload_offset + payload));
  }
  return info;
}

namespace {

// The offset and entry of section `name`.
std::pair<std::uintmax_t, const nlohmann::json*> find_section(const CheckpointFileInfo& info,
                                                              std::string_view name) {
  std::uintmax_t offset = info.payload_offset;
  for (const auto& s : info.metadata["sections"]) {
    if (s.value("name", "") == name) return {offset, &s};
    offset += s["size"].get<std::uintmax_t>();
  }
  fail(info.path, fmt::format("no section '{}'", name));
}

}  // namespace

std::string read_checkpoint_section(const CheckpointFileInfo& info, std::string_view name) {
  const auto [offset, entry] = find_section(info, name);
  std::string bytes((*entry)["size"].get<std::size_t>(), '\0');
  std::ifstream in(info.path, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(offset));
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!in) fail(info.path, fmt::format("cannot read section '{}'", name));
  if (io::md5_hex(bytes) != (*entry).value("md5", "")) {
    fail(info.path, fmt::format("section '{}' checksum mismatch (the file is damaged)", name));
  }
  return bytes;
}

void verify_checkpoint_sections(const CheckpointFileInfo& info) {
  std::ifstream in(info.path, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(info.payload_offset));
  std::vector<char> chunk(std::size_t{1} << 20);
  for (const auto& s : info.metadata["sections"]) {
    io::Md5 md5;
    auto left = s["size"].get<std::uintmax_t>();
    while (left > 0) {
      const auto n = static_cast<std::streamsize>(std::min<std::uintmax_t>(left, chunk.size()));
      in.read(chunk.data(), n);
      if (in.gcount() != n) fail(info.path, "cannot read its sections");
      md5.update(
          std::span(reinterpret_cast<const std::byte*>(chunk.data()), static_cast<std::size_t>(n)));
      left -= static_cast<std::uintmax_t>(n);
    }
    if (md5.hex_digest() != s.value("md5", "")) {
      fail(info.path, fmt::format("section '{}' checksum mismatch (the file is damaged)",
                                  s.value("name", "?")));
    }
  }
}

std::string checkpoint_file_name(int64_t epoch, int64_t iteration) {
  return fmt::format("checkpoint-e{:05}-i{:07}.sbck", epoch, iteration);
}

std::vector<std::filesystem::path> list_checkpoint_files(const std::filesystem::path& directory) {
  static const std::regex name_form(R"(checkpoint-e\d{5,}-i\d{7,}\.sbck)");
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(directory, ec)) {
    if (entry.is_regular_file() && std::regex_match(entry.path().filename().string(), name_form)) {
      files.push_back(entry.path());
    }
  }
  // Zero-padded fields: the name order is the order they were taken (newest first here).
  std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) {
    const auto an = a.filename().string(), bn = b.filename().string();
    return an.size() != bn.size() ? an.size() > bn.size() : an > bn;
  });
  return files;
}

}  // namespace segbench
