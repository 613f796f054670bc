#include "segbench/train/checkpoint.hpp"

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/nn/module.h>
#include <torch/optim/adam.h>
#include <torch/optim/adamw.h>
#include <torch/optim/optimizer.h>
#include <torch/optim/sgd.h>
#include <torch/serialize/archive.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "segbench/detail/torch_compat.hpp"
#include "segbench/error.hpp"
#include "segbench/train/checkpoint_file.hpp"
#include "segbench/train/lamb.hpp"

namespace segbench {
namespace {

// Module::load replaces each tensor with the saved one whatever its shape, so a checkpoint of
// another model (say, another width) would load without a word: the shapes are compared first,
// walking the archive as Module::load does (own parameters and buffers, then each child).
void collect_shape_mismatches(torch::serialize::InputArchive& archive,
                              const torch::nn::Module& module, const std::string& prefix,
                              std::vector<std::string>& mismatches) {
  const auto compare = [&](const std::string& name, const at::Tensor& expected, bool is_buffer) {
    at::Tensor saved;
    if (!archive.try_read(name, saved, is_buffer)) {
      mismatches.push_back(fmt::format("{}{} is missing from the checkpoint", prefix, name));
    } else if (saved.sizes() != expected.sizes()) {
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
    } else {
      mismatches.push_back(fmt::format("{}{} is missing from the checkpoint", prefix, child.key()));
    }
  }
}

std::string archive_bytes(torch::serialize::OutputArchive& archive) {
  std::ostringstream out;
  archive.save_to(out);
  return std::move(out).str();
}

// LibTorch's Optimizer::save keys each parameter's state by the tensor's address, so equal
// runs write different bytes. The state is written here by parameter position instead (group
// options, then each parameter's state), for the optimizers segbench builds.
std::unique_ptr<torch::optim::OptimizerParamState> fresh_param_state(
    const torch::optim::Optimizer& optimizer) {
  if (dynamic_cast<const torch::optim::SGD*>(&optimizer)) {
    return std::make_unique<torch::optim::SGDParamState>();
  }
  if (dynamic_cast<const torch::optim::AdamW*>(&optimizer)) {
    return std::make_unique<torch::optim::AdamWParamState>();
  }
  if (dynamic_cast<const torch::optim::Adam*>(&optimizer)) {
    return std::make_unique<torch::optim::AdamParamState>();
  }
  if (dynamic_cast<const Lamb*>(&optimizer)) return std::make_unique<LambParamState>();
  return nullptr;
}

std::string optimizer_bytes(const torch::optim::Optimizer& optimizer) {
  torch::serialize::OutputArchive archive;
  if (!fresh_param_state(optimizer)) {
    optimizer.save(archive);  // another optimizer: LibTorch's own layout
    return archive_bytes(archive);
  }
  int64_t position = 0;
  const auto& groups = optimizer.param_groups();
  for (std::size_t g = 0; g < groups.size(); ++g) {
    torch::serialize::OutputArchive options;
    groups[g].options().serialize(options);
    archive.write(fmt::format("group{}_options", g), options);
    for (const auto& parameter : groups[g].params()) {
      const auto found = optimizer.state().find(detail::optimizer_state_key(parameter));
      if (found != optimizer.state().end()) {
        torch::serialize::OutputArchive state;
        found->second->serialize(state);
        archive.write(fmt::format("state{}", position), state);
      }
      ++position;
    }
  }
  archive.write("parameters", at::tensor(position));
  return archive_bytes(archive);
}

void load_optimizer(torch::optim::Optimizer& optimizer, torch::serialize::InputArchive& archive) {
  if (!fresh_param_state(optimizer)) {
    optimizer.load(archive);
    return;
  }
  at::Tensor saved_positions;
  archive.read("parameters", saved_positions);
  int64_t position = 0;
  auto& groups = optimizer.param_groups();
  for (std::size_t g = 0; g < groups.size(); ++g) position += groups[g].params().size();
  SEGBENCH_CHECK(saved_positions.item<int64_t>() == position, ConfigError,
                 "the checkpoint's optimizer has {} parameters, this one {}",
                 saved_positions.item<int64_t>(), position);
  position = 0;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    torch::serialize::InputArchive options;
    archive.read(fmt::format("group{}_options", g), options);
    groups[g].options().serialize(options);
    for (const auto& parameter : groups[g].params()) {
      torch::serialize::InputArchive saved;
      if (archive.try_read(fmt::format("state{}", position), saved)) {
        auto state = fresh_param_state(optimizer);
        state->serialize(saved);
        optimizer.state()[detail::optimizer_state_key(parameter)] = std::move(state);
      } else {
        optimizer.state().erase(detail::optimizer_state_key(parameter));
      }
      ++position;
    }
  }
}

void load_archive(torch::serialize::InputArchive& archive, const std::string& bytes,
                  const torch::nn::Module& model) {
  // Tensors are read onto the model's device, whatever device wrote them (a checkpoint of a
  // GPU run resumes on the CPU and the other way round).
  const auto parameters = model.parameters();
  c10::optional<c10::Device> device;  // c10::optional: std::optional in 2.x, its own in 1.13
  if (!parameters.empty()) device = parameters.front().device();
  archive.load_from(bytes.data(), bytes.size(), device);
}

void remove_all_but_newest(const std::filesystem::path& directory, int keep) {
  const auto files = list_checkpoint_files(directory);
  for (std::size_t i = static_cast<std::size_t>(std::max(keep, 1)); i < files.size(); ++i) {
    std::error_code ignored;
    std::filesystem::remove(files[i], ignored);
  }
}

LoadedCheckpoint load_file(const std::filesystem::path& file, torch::nn::Module& model,
                           torch::optim::Optimizer& optimizer) {
  const CheckpointFileInfo info = read_checkpoint_header(file);
  const std::string model_bytes = read_checkpoint_section(info, "model");
  const std::string optimizer_section = read_checkpoint_section(info, "optimizer");
  RunState state = run_state_from_json(info.metadata.value("run", nlohmann::json()), file.string());
  try {
    torch::serialize::InputArchive model_archive;
    load_archive(model_archive, model_bytes, model);
    std::vector<std::string> mismatches;
    collect_shape_mismatches(model_archive, model, "", mismatches);
    if (!mismatches.empty()) {
      const std::size_t shown = std::min<std::size_t>(mismatches.size(), 3);
      throw ConfigError(
          fmt::format("checkpoint {} is of another model: {} tensor(s) differ, e.g. {}",
                      file.string(), mismatches.size(),
                      fmt::join(mismatches.begin(),
                                mismatches.begin() + static_cast<std::ptrdiff_t>(shown), "; ")));
    }
    torch::serialize::InputArchive optimizer_archive;
    load_archive(optimizer_archive, optimizer_section, model);
    model.load(model_archive);
    load_optimizer(optimizer, optimizer_archive);
  } catch (const Error&) {
    throw;
  } catch (const c10::Error& e) {
    throw TrainingError(
        fmt::format("cannot load checkpoint {}: {}", file.string(), e.what_without_backtrace()));
  } catch (const std::exception& e) {  // e.g. torch::jit::ErrorReport, not a c10::Error
    throw TrainingError(fmt::format("cannot load checkpoint {}: {}", file.string(), e.what()));
  }
  return {file, std::move(state), {}};
}

}  // namespace

bool is_checkpoint_directory(const std::filesystem::path& path) {
  if (std::filesystem::is_directory(path)) return true;
  const std::string text = path.string();
  return (!text.empty() && text.back() == '/') || !path.has_extension();
}

std::filesystem::path checkpoint_directory(const std::filesystem::path& path) {
  if (is_checkpoint_directory(path)) return path;
  return path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
}

std::filesystem::path save_checkpoint(const std::filesystem::path& path,
                                      const torch::nn::Module& model,
                                      const torch::optim::Optimizer& optimizer,
                                      const RunState& state, int keep) {
  std::vector<CheckpointSection> sections;
  try {
    torch::serialize::OutputArchive model_archive;
    model.save(model_archive);
    sections.push_back({"model", archive_bytes(model_archive)});
    sections.push_back({"optimizer", optimizer_bytes(optimizer)});
  } catch (const c10::Error& e) {
    throw TrainingError(fmt::format("cannot serialise checkpoint {}: {}", path.string(),
                                    e.what_without_backtrace()));
  }
  const bool directory = is_checkpoint_directory(path);
  const std::filesystem::path file =
      directory ? path / checkpoint_file_name(state.next_epoch, state.next_iteration) : path;
  write_checkpoint_file(file, {{"run", to_json(state)}}, sections);
  if (directory) remove_all_but_newest(path, keep);
  return file;
}

LoadedCheckpoint load_checkpoint(const std::filesystem::path& file_or_directory,
                                 torch::nn::Module& model, torch::optim::Optimizer& optimizer) {
  if (!std::filesystem::is_directory(file_or_directory)) {
    return load_file(file_or_directory, model, optimizer);
  }
  const auto files = list_checkpoint_files(file_or_directory);
  SEGBENCH_CHECK(!files.empty(), TrainingError, "checkpoint directory {} holds no checkpoint",
                 file_or_directory.string());
  std::vector<std::string> skipped;
  for (const auto& file : files) {
    try {
      // Checked whole before the model is touched: a damaged file changes nothing.
      verify_checkpoint_sections(read_checkpoint_header(file));
    } catch (const TrainingError& e) {
      skipped.push_back(e.what());
      continue;
    }
    LoadedCheckpoint loaded = load_file(file, model, optimizer);
    loaded.skipped = std::move(skipped);
    return loaded;
  }
  throw TrainingError(fmt::format("checkpoint directory {}: no valid checkpoint ({})",
                                  file_or_directory.string(), fmt::join(skipped, "; ")));
}

}  // namespace segbench
