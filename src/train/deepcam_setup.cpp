#include "segbench/train/deepcam_setup.hpp"

#include <ATen/ATen.h>

#include "segbench/data/cam5_dataset.hpp"
#include "segbench/error.hpp"
#include "segbench/losses/deepcam_ce.hpp"
#include "segbench/train/volume_evaluation.hpp"

namespace segbench {

DeepcamDatasets open_deepcam_datasets(const DeepcamConfig& c) {
  const auto stats = c.data_dir / "stats.h5";
  const std::vector<int> channels(c.channels.begin(), c.channels.end());
  if (c.data_format == "npy") {
    return {
        AnyDataset(Cam5NpyDataset(list_cam5_npy_samples(c.data_dir / "train"), stats, channels)),
        AnyDataset(
            Cam5NpyDataset(list_cam5_npy_samples(c.data_dir / "validation"), stats, channels))};
  }
  return {
      AnyDataset(Cam5Hdf5Dataset(list_cam5_samples(c.data_dir / "train"), stats, channels)),
      AnyDataset(Cam5Hdf5Dataset(list_cam5_samples(c.data_dir / "validation"), stats, channels))};
}

StepLrScheduleOptions deepcam_lr_options(const DeepcamConfig& c) {
  StepLrScheduleOptions o;
  o.base_lr = c.start_lr;
  o.kind = step_lr_kind_from_string(c.lr_schedule);
  o.milestones = c.lr_milestones;
  o.decay_rate = c.lr_decay_rate;
  o.t_max = std::max<int64_t>(1, c.lr_t_max);
  o.eta_min = c.lr_eta_min;
  o.warmup_steps = c.lr_warmup_steps;
  o.warmup_factor = c.lr_warmup_factor;
  o.corrected = c.corrected_schedule;
  return o;
}

TrainerOptions make_deepcam_trainer_options(const DeepcamConfig& c, int64_t seed, int rank) {
  TrainerOptions options;
  options.max_epochs = c.max_epochs;
  options.start_eval_at = 1;
  options.evaluate_every = 1;
  options.ga_steps = c.gradient_accumulation_frequency;
  options.quality_target = c.target_iou;
  options.diverged_below = -1.0;
  options.seed = seed;
  options.checkpoint_path = c.save_ckpt_path;
  options.checkpoint_every = c.checkpoint_every;
  options.resume_from = c.load_ckpt_path;
  options.log_blocks = false;
  options.log_hpc_epoch_metrics = true;
  options.quality_name = c.corrected_iou ? "IoU (events only)" : "IoU";
  options.is_main_rank = rank == 0;
  const StepLrSchedule schedule(deepcam_lr_options(c));
  options.lr_at_step = [schedule](int64_t step) { return schedule.lr_for_optimizer_step(step); };
  return options;
}

AnyContext batchnorm_group(AnyContext& ctx, int group_size) {
  SEGBENCH_CHECK(group_size >= 1 && ctx.world_size() % group_size == 0, ConfigError,
                 "rank {}/{}: --batchnorm_group_size {} must divide the number of ranks {}",
                 ctx.rank(), ctx.world_size(), group_size, ctx.world_size());
  return ctx.subgroup(group_size);
}

EvalResult evaluate_deepcam(const std::function<at::Tensor(const at::Tensor&)>& predict,
                            const AnyDataset& validation, MeanIouTarget& target, AnyContext& ctx) {
  target.reset();
  const auto [begin, end] = contiguous_shard(validation.size(), ctx.rank(), ctx.world_size());
  double loss_sum = 0.0;
  for (std::size_t i = begin; i < end; ++i) {
    const Sample sample = validation.get(i);
    const at::Tensor logits = predict(sample.image.unsqueeze(0));
    const at::Tensor label = sample.label.unsqueeze(0);
    target.update(logits, label);
    loss_sum += deepcam_ce_loss(logits, label).item<double>();
  }
  EvalResult result;
  result.quality = target.aggregate(ctx);
  const double samples = ctx.allreduce_sum(static_cast<double>(end - begin));
  result.loss = ctx.allreduce_sum(loss_sum) / std::max(1.0, samples);
  result.cases = static_cast<int64_t>(samples);
  for (double v : target.class_iou()) result.class_scores.push_back(v);
  return result;
}

}  // namespace segbench
