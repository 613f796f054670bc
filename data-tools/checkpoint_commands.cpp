// checkpoint-info: a training checkpoint's run state and validity, read without LibTorch (the
// checkpoint container is checksummed JSON metadata plus archive sections). With two files it
// says whether their model and optimizer tensors are bitwise equal: equal runs write
// byte-identical sections, so equal section checksums mean equal tensors.
#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <string>

#include "data_command.hpp"
#include "segbench/error.hpp"
#include "segbench/train/checkpoint_file.hpp"
#include "segbench/train/run_state.hpp"

namespace segbench::tools {
namespace {

struct CheckpointInfoArgs {
  std::filesystem::path file;
  std::filesystem::path other;
};

// The newest checkpoint of a directory, or the file itself.
std::filesystem::path checkpoint_file_of(const std::filesystem::path& path) {
  if (!std::filesystem::is_directory(path)) return path;
  const auto files = list_checkpoint_files(path);
  SEGBENCH_CHECK(!files.empty(), DataError, "{}: no checkpoint in this directory", path.string());
  return files.front();
}

std::string section_md5(const CheckpointFileInfo& info, const std::string& name) {
  for (const auto& s : info.metadata["sections"]) {
    if (s.value("name", "") == name) return s.value("md5", "");
  }
  return "";
}

// Prints one checkpoint; returns whether it is valid.
bool print_checkpoint(const std::filesystem::path& path, CheckpointFileInfo& info) {
  try {
    info = read_checkpoint_header(path);
    verify_checkpoint_sections(info);
  } catch (const TrainingError& e) {
    fmt::print("{}: INVALID: {}\n", path.string(), e.what());
    return false;
  }
  const RunState s =
      run_state_from_json(info.metadata.value("run", nlohmann::json()), path.string());
  fmt::print("{}: valid (format {}, checksums match)\n", path.string(),
             info.metadata.value("format_version", 0));
  fmt::print("  resumes at   epoch {} iteration {}{}\n", s.next_epoch, s.next_iteration,
             s.finished ? " (the run finished)" : "");
  fmt::print("  trained      {} iterations, {} optimizer steps, {:.1f} s of {:.1f} s\n",
             s.iterations, s.optimizer_steps, s.train_seconds, s.elapsed_seconds);
  fmt::print("  quality      last {} best {}\n", s.last_quality,
             std::isfinite(s.best_quality) ? fmt::format("{}", s.best_quality) : "none");
  fmt::print("  run          seed {} on {} ranks; preset {}; optimizer {}\n", s.seed, s.world_size,
             s.config.value("preset", std::string("?")),
             s.config.value("optimizer", std::string("?")));
  fmt::print("  result log   {}\n",
             s.log_bytes ? fmt::format("{} bytes when taken", *s.log_bytes) : "none");
  for (const auto& section : info.metadata["sections"]) {
    fmt::print("  section      {} {} bytes md5 {}\n", section.value("name", "?"),
               section.value("size", 0), section.value("md5", "?"));
  }
  return true;
}

int checkpoint_info(const CheckpointInfoArgs& args) {
  CheckpointFileInfo first, second;
  const bool first_ok = print_checkpoint(checkpoint_file_of(args.file), first);
  if (args.other.empty()) return first_ok ? 0 : 1;
  const bool second_ok = print_checkpoint(checkpoint_file_of(args.other), second);
  if (!first_ok || !second_ok) return 1;
  bool equal = true;
  for (const std::string name : {"model", "optimizer"}) {
    const bool same = section_md5(first, name) == section_md5(second, name);
    fmt::print("{} tensors: {}\n", name, same ? "bitwise equal" : "DIFFER");
    equal = equal && same;
  }
  return equal ? 0 : 1;
}

}  // namespace

void add_checkpoint_commands(CLI::App& app, DataCommands& commands) {
  auto args = std::make_shared<CheckpointInfoArgs>();
  CLI::App* info = app.add_subcommand(
      "checkpoint-info",
      "a training checkpoint's state and validity; with two, whether their model and optimizer "
      "tensors are bitwise equal (exit 0 equal, 1 not or invalid)");
  info->add_option("file", args->file, "checkpoint file or checkpoint directory (its newest)")
      ->required();
  info->add_option("other", args->other, "a second checkpoint to compare with");
  commands.push_back({info, [args] { return checkpoint_info(*args); }});
}

}  // namespace segbench::tools
