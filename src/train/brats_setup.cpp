#include "segbench/train/brats_setup.hpp"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <fstream>

#include "segbench/data/brats_split.hpp"
#include "segbench/error.hpp"
#include "segbench/inference/slice_inference.hpp"
#include "segbench/losses/nnunet_loss.hpp"
#include "segbench/metrics/brats_dice.hpp"
#include "segbench/models/unet2d.hpp"
#include "segbench/train/volume_evaluation.hpp"

namespace segbench {

BratsData open_brats_data(const BratsConfig& c) {
  const auto config_path = c.data_dir / "config.json";
  std::ifstream in(config_path);
  SEGBENCH_CHECK(in.good(), DataError,
                 "{}: cannot open the preprocessing record (run segbench-data brats-preprocess)",
                 config_path.string());
  nlohmann::json record;
  try {
    record = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw DataError(fmt::format("{}: not valid JSON: {}", config_path.string(), e.what()));
  }
  for (const char* key : {"in_channels", "n_class", "patch_size"}) {
    SEGBENCH_CHECK(record.contains(key), DataError, "{}: missing \"{}\"", config_path.string(),
                   key);
  }
  const auto patch = record["patch_size"].get<std::vector<int64_t>>();
  SEGBENCH_CHECK(patch.size() == 2 && patch[0] == c.patch[0] && patch[1] == c.patch[1], ConfigError,
                 "{}: the data was preprocessed to patch {}×{}, the run asks for --patch {} {}",
                 config_path.string(), patch.size() > 0 ? patch[0] : 0,
                 patch.size() > 1 ? patch[1] : 0, c.patch[0], c.patch[1]);
  const auto in_channels = record["in_channels"].get<int64_t>();
  const auto n_class = record["n_class"].get<int64_t>();
  BratsFold fold = kfold_split(list_preprocessed_brats_cases(c.data_dir),
                               static_cast<int>(c.nfolds), static_cast<int>(c.fold));
  return {BratsDataset(c.data_dir, std::move(fold.train), c.cache_dataset, in_channels),
          BratsDataset(c.data_dir, std::move(fold.validation), c.cache_dataset, in_channels),
          in_channels, n_class};
}

Unet2DOptions brats_model_options(const BratsConfig& c, int64_t in_channels, int64_t n_class) {
  Unet2DOptions o;
  o.in_channels = in_channels;
  o.n_class = n_class;
  o.filters = c.filters;
  o.patch = c.patch;
  o.deep_supervision = c.deep_supervision;
  o.norm = c.norm;
  o.negative_slope = c.negative_slope;
  o.fast_upsample = c.fast_upsample;
  return o;
}

BratsAugmentOptions brats_augment_options(const BratsConfig& c) {
  BratsAugmentOptions o;
  o.crop = {slices_per_volume(c), c.patch[0], c.patch[1]};
  o.oversampling = c.oversampling;
  o.augment = c.augment;
  return o;
}

bool brats_uses_bf16(const BratsConfig& c, bool on_cuda) {
  return c.amp == "bf16" || (c.amp == "auto" && on_cuda);
}

TrainerOptions make_brats_trainer_options(const BratsConfig& c, int64_t seed, int rank) {
  TrainerOptions options;
  options.max_epochs = c.max_epochs;
  options.start_eval_at = 1;
  options.evaluate_every = 1;
  options.quality_target = c.quality_target;
  options.diverged_below = -1.0;  // no divergence rule in the reference
  options.seed = seed;
  options.checkpoint_path = c.save_ckpt_path;
  options.checkpoint_every = c.checkpoint_every;
  options.resume_from = c.load_ckpt_path;
  options.log_blocks = false;
  options.quality_name = "mean Dice";
  options.is_main_rank = rank == 0;
  if (c.early_stopping) {
    options.early_stop_patience = c.patience;
    options.min_epochs = c.min_epochs;
  }
  return options;
}

EvalResult evaluate_brats(const std::function<at::Tensor(const at::Tensor&)>& predict,
                          const BratsDataset& validation, MeanDiceTarget& target, AnyContext& ctx,
                          int64_t slices_per_batch) {
  target.reset();
  const auto [begin, end] = contiguous_shard(validation.size(), ctx.rank(), ctx.world_size());
  double loss_sum = 0.0;
  for (std::size_t i = begin; i < end; ++i) {
    const Sample sample = validation.get(i);
    // (1, K, D, H, W) → the volume's D slices as a batch of 2-D logits (D, K, H, W).
    const at::Tensor logits =
        slice_inference(sample.image, predict, slices_per_batch).squeeze(0).transpose(0, 1);
    const at::Tensor label = sample.label.transpose(0, 1);  // (D, 1, H, W)
    target.update(brats_volume_dice_from_logits(logits, label));
    loss_sum += nnunet_dice_ce_loss(logits, label).item<double>();
  }
  EvalResult result;
  result.quality = target.aggregate(ctx);
  result.class_scores = target.class_means();
  const double volumes = ctx.allreduce_sum(static_cast<double>(end - begin));
  result.loss = ctx.allreduce_sum(loss_sum) / std::max(1.0, volumes);
  result.cases = static_cast<int64_t>(volumes);
  return result;
}

}  // namespace segbench
