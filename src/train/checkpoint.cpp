#include "segbench/train/checkpoint.hpp"

#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>
#include <torch/serialize/archive.h>

#include "segbench/error.hpp"
#include "segbench/io/atomic_file.hpp"

namespace segbench {
namespace {
constexpr int64_t kFormatVersion = 1;
}

void save_checkpoint(const std::filesystem::path& path, const torch::nn::Module& model,
                     const torch::optim::Optimizer& optimizer, const CheckpointState& state) {
  try {
    if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  } catch (const std::filesystem::filesystem_error& e) {
    throw TrainingError(fmt::format("cannot write checkpoint {}: {}", path.string(), e.what()));
  }
  torch::serialize::OutputArchive archive;
  torch::serialize::OutputArchive model_archive;
  model.save(model_archive);
  archive.write("model", model_archive);
  torch::serialize::OutputArchive optimizer_archive;
  optimizer.save(optimizer_archive);
  archive.write("optimizer", optimizer_archive);
  archive.write("format_version", at::tensor(kFormatVersion));
  archive.write("epoch", at::tensor(state.epoch));
  archive.write("last_quality", at::tensor(state.last_quality, at::kDouble));
  archive.write("seed", at::tensor(state.seed));

  const auto temp = path.parent_path() / fmt::format(".{}.tmp.{}", path.filename().string(),
                                                     static_cast<long>(getpid()));
  try {
    archive.save_to(temp.string());
  } catch (const c10::Error& e) {
    std::filesystem::remove(temp);
    throw TrainingError(
        fmt::format("cannot write checkpoint {}: {}", path.string(), e.what_without_backtrace()));
  }
  try {
    io::move_into_place(temp, path);
  } catch (const DataError& e) {
    throw TrainingError(fmt::format("cannot write checkpoint: {}", e.what()));
  }
}

CheckpointState load_checkpoint(const std::filesystem::path& path, torch::nn::Module& model,
                                torch::optim::Optimizer& optimizer) {
  SEGBENCH_CHECK(std::filesystem::is_regular_file(path), TrainingError,
                 "checkpoint {} does not exist", path.string());
  CheckpointState state;
  try {
    // Tensors are read onto the model's device, whatever device wrote them (a checkpoint of
    // a GPU run resumes on the CPU and the other way round).
    const auto parameters = model.parameters();
    c10::optional<c10::Device> device;  // c10::optional: std::optional in 2.x, its own in 1.13
    if (!parameters.empty()) device = parameters.front().device();
    torch::serialize::InputArchive archive;
    archive.load_from(path.string(), device);
    at::Tensor version;
    archive.read("format_version", version);
    SEGBENCH_CHECK(version.item<int64_t>() == kFormatVersion, TrainingError,
                   "checkpoint {}: format version {} (expected {})", path.string(),
                   version.item<int64_t>(), kFormatVersion);
    torch::serialize::InputArchive model_archive;
    archive.read("model", model_archive);
    model.load(model_archive);
    torch::serialize::InputArchive optimizer_archive;
    archive.read("optimizer", optimizer_archive);
    optimizer.load(optimizer_archive);
    at::Tensor epoch, quality, seed;
    archive.read("epoch", epoch);
    archive.read("last_quality", quality);
    archive.read("seed", seed);
    state.epoch = epoch.item<int64_t>();
    state.last_quality = quality.item<double>();
    state.seed = seed.item<int64_t>();
  } catch (const c10::Error& e) {
    throw TrainingError(
        fmt::format("cannot load checkpoint {}: {}", path.string(), e.what_without_backtrace()));
  }
  return state;
}

}  // namespace segbench
