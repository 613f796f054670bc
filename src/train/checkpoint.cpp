#include "segbench/train/checkpoint.hpp"

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>
#include <torch/serialize/archive.h>

#include <algorithm>
#include <string>
#include <vector>

#include "segbench/error.hpp"
#include "segbench/io/atomic_file.hpp"

namespace segbench {
namespace {
constexpr int64_t kFormatVersion = 1;

// Module::load replaces each tensor with the saved one whatever its shape, so a checkpoint of
// another model (say, another width) would load without a word: the shapes are compared first,
// walking the archive as Module::load does (own parameters and buffers, then each child).
void collect_shape_mismatches(torch::serialize::InputArchive& archive,
                              const torch::nn::Module& module, const std::string& prefix,
                              std::vector<std::string>& mismatches) {
  const auto compare = [&](const std::string& name, const at::Tensor& expected, bool is_buffer) {
    at::Tensor saved;
    if (archive.try_read(name, saved, is_buffer) && saved.sizes() != expected.sizes()) {
      mismatches.push_back(fmt::format("{}{} is {} in the checkpoint, {} in this model", prefix,
                                       name, fmt::join(saved.sizes(), "×"),
                                       fmt::join(expected.sizes(), "×")));
    }
  };
  for (const auto& p : module.named_parameters(/*recurse=*/false))
    compare(p.key(), p.value(), false);
  for (const auto& b : module.named_buffers(/*recurse=*/false)) compare(b.key(), b.value(), true);
  for (const auto& child : module.named_children()) {
    torch::serialize::InputArchive child_archive;
    if (archive.try_read(child.key(), child_archive)) {
      collect_shape_mismatches(child_archive, *child.value(), prefix + child.key() + ".",
                               mismatches);
    }
  }
}

}  // namespace

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

  const auto temp = io::temporary_sibling(path);
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
    std::vector<std::string> mismatches;
    collect_shape_mismatches(model_archive, model, "", mismatches);
    if (!mismatches.empty()) {
      const std::size_t shown = std::min<std::size_t>(mismatches.size(), 3);
      throw ConfigError(
          fmt::format("checkpoint {} is of another model: {} tensor(s) differ in shape, e.g. {}",
                      path.string(), mismatches.size(),
                      fmt::join(mismatches.begin(),
                                mismatches.begin() + static_cast<std::ptrdiff_t>(shown), "; ")));
    }
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
