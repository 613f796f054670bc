// The submitters' DeepCAM split (hpc_results_v3.0 .../deepcam/implementations/pytorch/src/utils/
// split_data.py): the `data*.h5` files of a flat directory, sorted by name, shuffled with
// np.random.seed(12345); np.random.shuffle(files), then cut into
//   n_train = int(n * 0.8), n_validation = int(n * 0.1), n_test = n - n_train - n_validation
// consecutive parts, linked (or copied) into <out>/train, <out>/validation and <out>/test.
// No torch here.
#pragma once

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <string>
#include <vector>

namespace segbench::prep {

struct Cam5SplitOptions {
  std::uint32_t seed = 12345;
  double train_fraction = 0.8;
  double validation_fraction = 0.1;
  /// Copy the files instead of creating symbolic links to their absolute paths (the default,
  /// as the reference script).
  bool copy = false;
};

/// File names per part, in the shuffled order.
struct Cam5Split {
  std::vector<std::string> train, validation, test;
};

/// The split of these names (no file system access); `names` need not be sorted.
Cam5Split split_cam5_names(std::vector<std::string> names, const Cam5SplitOptions& options = {});

/// Splits the data*.h5 files of `input_dir` into `output_dir`/{train,validation,test}/.
/// DataError naming the directory when it is missing or holds no data*.h5 file, and naming
/// the file when a destination exists already. `jobs` files are placed at a time (0: every
/// core).
Cam5Split split_cam5_directory(const std::filesystem::path& input_dir,
                               const std::filesystem::path& output_dir,
                               const Cam5SplitOptions& options = {},
                               std::ostream* progress = nullptr, int jobs = 1);

}  // namespace segbench::prep
