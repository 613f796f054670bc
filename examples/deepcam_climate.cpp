// MLPerf HPC DeepCAM on CAM5 climate data: the recipe's preset and CLI, composed with the
// core's train(); stops at the IoU target. One process per rank (Slurm, mpirun or torchrun
// variables).
#include <torch/optim/optimizer.h>

#include "segbench/log/mllog_keys.hpp"
#include "segbench/losses/deepcam_ce.hpp"
#include "segbench/metrics/iou.hpp"
#include "segbench/models/deeplabv3_plus.hpp"
#include "segbench/recipes/common/run_options.hpp"
#include "segbench/recipes/deepcam/config.hpp"
#include "segbench/recipes/deepcam/setup.hpp"
#include "segbench/run/data_parallel_run.hpp"
#include "segbench/run/run_main.hpp"
#include "segbench/train/train.hpp"

using namespace segbench;

int main(int argc, char** argv) {
  return run_driver("deepcam_climate", [&] {
    const DeepcamConfig cfg = parse_deepcam_cli(argc, argv);
    DataParallelRun run("deepcam_climate", run_options(cfg), to_json(cfg));
    DeepLabV3Plus model(deepcam_model_options(cfg));
    if (run.dry_run()) return run.print_dry_run(deepcam_dry_run_facts(cfg, run, model));
    AnyContext& ctx = run.connect();
    set_deepcam_batchnorm_groups(cfg, ctx, model);
    run.place_model(*model);
    mllog::Logger& log = run.open_log(deepcam_log_file(cfg));
    const DeepcamDatasets data = stage_deepcam_data(log, cfg, run, ctx);
    auto optimizer = make_deepcam_optimizer(cfg, model);
    MeanIouTarget target = deepcam_target(cfg);
    TrainingPlan plan = make_deepcam_plan(cfg, run, model, *optimizer, target);
    add_deepcam_staging(plan, data, ctx);
    log.end(mllog::key::kInitStop);

    const auto loss = [](const at::Tensor& logits, const at::Tensor& label) {
      return deepcam_ce_loss(logits, label);
    };
    const TrainOutcome outcome =
        train(model, data.train, data.validation, loss, target, ctx, std::move(plan));
    const double steps_per_epoch = static_cast<double>(data.train.size() / ctx.world_size() /
                                                       static_cast<size_t>(cfg.local_batch_size));
    return run.finish(
        outcome,
        fmt::format("last IoU {:.4f} (target {}), {:.2f} s per step incl. "
                    "evaluation",
                    outcome.last_quality, cfg.target_iou,
                    outcome.seconds_to_stop / std::max(1.0, outcome.epochs_run * steps_per_epoch)));
  });
}
