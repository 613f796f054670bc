#include "segbench/prep/cam5_split.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <ostream>
#include <system_error>
#include <utility>

#include "segbench/error.hpp"
#include "segbench/io/atomic_file.hpp"
#include "segbench/io/hdf5.hpp"
#include "segbench/prep/parallel_files.hpp"
#include "segbench/random/numpy_random.hpp"

namespace segbench::prep {
namespace {

namespace fs = std::filesystem;

void place(const fs::path& source, const fs::path& destination, bool copy) {
  std::error_code ec;
  SEGBENCH_CHECK(!fs::exists(fs::symlink_status(destination, ec)), DataError,
                 "{}: exists already (split into an empty output directory)", destination.string());
  if (copy) {
    // Through a temporary sibling: a full disk leaves no half copy under the final name.
    io::copy_file_atomically(source, destination);
    return;
  }
  fs::create_symlink(source, destination, ec);
  SEGBENCH_CHECK(!ec, DataError, "{}: cannot link to {}: {}", destination.string(), source.string(),
                 ec.message());
}

}  // namespace

Cam5Split split_cam5_names(std::vector<std::string> names, const Cam5SplitOptions& options) {
  SEGBENCH_CHECK(options.train_fraction >= 0 && options.validation_fraction >= 0 &&
                     options.train_fraction + options.validation_fraction <= 1.0,
                 ConfigError,
                 "cam5 split: expected fractions in [0, 1] summing to at most 1, found train {} "
                 "and validation {}",
                 options.train_fraction, options.validation_fraction);
  std::sort(names.begin(), names.end());
  NumpyLegacyRandom rng(options.seed);
  rng.shuffle(names);
  const std::size_t n = names.size();
  // Python's int(len(files) * 0.8): the same double product, truncated.
  const auto n_train = static_cast<std::size_t>(static_cast<double>(n) * options.train_fraction);
  const auto n_validation =
      static_cast<std::size_t>(static_cast<double>(n) * options.validation_fraction);
  Cam5Split split;
  const auto begin = names.begin();
  split.train.assign(begin, begin + static_cast<std::ptrdiff_t>(n_train));
  split.validation.assign(begin + static_cast<std::ptrdiff_t>(n_train),
                          begin + static_cast<std::ptrdiff_t>(n_train + n_validation));
  split.test.assign(begin + static_cast<std::ptrdiff_t>(n_train + n_validation), names.end());
  return split;
}

Cam5Split split_cam5_directory(const fs::path& input_dir, const fs::path& output_dir,
                               const Cam5SplitOptions& options, std::ostream* progress, int jobs) {
  std::vector<std::string> names;
  for (const fs::path& file : io::list_h5_files(input_dir, "data"))
    names.push_back(file.filename().string());
  const Cam5Split split = split_cam5_names(std::move(names), options);
  const fs::path source_dir = fs::absolute(input_dir);
  const std::pair<const char*, const std::vector<std::string>*> parts[] = {
      {"train", &split.train}, {"validation", &split.validation}, {"test", &split.test}};
  std::vector<std::pair<std::string, fs::path>> work;  // (file name, destination directory)
  for (const auto& [part, files] : parts) {
    const fs::path dir = output_dir / part;
    fs::create_directories(dir);
    for (const std::string& name : *files) work.emplace_back(name, dir);
  }
  // Links are cheap; copies (--copy) of 72 MB files are what the jobs are for.
  for_each_index(work.size(), resolve_jobs(jobs), [&](std::size_t k) {
    place(source_dir / work[k].first, work[k].second / work[k].first, options.copy);
  });
  for (const auto& [part, files] : parts) {
    if (progress)
      fmt::print(*progress, "{}: {} files {} into {}\n", part, files->size(),
                 options.copy ? "copied" : "linked", (output_dir / part).string());
  }
  return split;
}

}  // namespace segbench::prep
