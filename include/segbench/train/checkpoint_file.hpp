// The checkpoint file container, without torch: one header line with the format and the MD5 of
// the metadata line, the metadata as one line of JSON (the run's whole state and, per binary
// section, its size and MD5), then the sections' bytes (LibTorch archives of the model and the
// optimizer). Every byte is covered by a checksum, so a torn or flipped file is found before
// anything is parsed from it, and `segbench-data checkpoint-info` reads it without LibTorch.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace segbench {

inline constexpr int64_t kCheckpointFormatVersion = 2;

struct CheckpointSection {
  std::string name;
  std::string bytes;
};

/// A checkpoint's header as read and checked by read_checkpoint_header().
struct CheckpointFileInfo {
  std::filesystem::path path;
  nlohmann::json metadata;  ///< "sections": [{name, size, md5}] plus the run state
  std::uintmax_t payload_offset = 0;
};

/// Writes header, metadata and sections to a temporary sibling, fsyncs it, renames it over
/// `path` and fsyncs the directory. Any failed write (a full disk) throws TrainingError naming
/// `path`, removes the temporary file and leaves an older file at `path` untouched.
void write_checkpoint_file(const std::filesystem::path& path, nlohmann::json metadata,
                           const std::vector<CheckpointSection>& sections);

/// Reads and checks the header: the format line, the metadata's MD5 and that the file holds
/// exactly the sections' bytes. Throws TrainingError naming the file and what is wrong (never
/// allocates more than the file's own size).
CheckpointFileInfo read_checkpoint_header(const std::filesystem::path& path);

/// Reads one section and checks its MD5; TrainingError naming the file and section otherwise.
std::string read_checkpoint_section(const CheckpointFileInfo& info, std::string_view name);

/// Checks every section's MD5 (streamed). TrainingError naming the first bad section.
void verify_checkpoint_sections(const CheckpointFileInfo& info);

/// The checkpoint files of a checkpoint directory (checkpoint_file_name() names), newest first.
std::vector<std::filesystem::path> list_checkpoint_files(const std::filesystem::path& directory);

/// "checkpoint-e<EEEEE>-i<IIIIIII>.sbck": the name of a checkpoint that resumes at 1-based
/// `epoch` after skipping its first `iteration` iterations (an epoch-end checkpoint resumes at
/// the next epoch's iteration 0), so that names sort in the order the checkpoints were taken.
std::string checkpoint_file_name(int64_t epoch, int64_t iteration);

}  // namespace segbench
