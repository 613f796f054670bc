// MLCommons 3D U-Net on KiTS19: the recipe's preset and CLI, composed with the core's train();
// stops at the mean Dice target. One process per rank (Slurm, mpirun or torchrun variables).
#include <torch/optim/optimizer.h>

#include <string>

#include "segbench/log/mllog_keys.hpp"
#include "segbench/losses/dice_ce.hpp"
#include "segbench/metrics/dice.hpp"
#include "segbench/models/module_size.hpp"
#include "segbench/models/unet3d.hpp"
#include "segbench/recipes/common/run_options.hpp"
#include "segbench/recipes/unet3d/config.hpp"
#include "segbench/recipes/unet3d/setup.hpp"
#include "segbench/run/data_parallel_run.hpp"
#include "segbench/run/run_main.hpp"
#include "segbench/train/train.hpp"

using namespace segbench;

int main(int argc, char** argv) {
  return run_driver("unet3d_kits19", [&] {
    const Unet3dConfig cfg = parse_unet3d_cli(argc, argv);
    DataParallelRun run("unet3d_kits19", run_options(cfg), to_json(cfg));
    Unet3D model(unet3d_model_options(cfg));
    if (run.dry_run()) {
      return run.print_dry_run({{"parameters", std::to_string(count_parameters(*model))}});
    }
    AnyContext& ctx = run.connect();
    run.place_model(*model);
    mllog::Logger& log =
        run.open_log(cfg.log_dir.empty() ? std::filesystem::path() : cfg.log_dir / "unet3d.log");
    const Unet3dData data = open_unet3d_data(cfg);
    log_unet3d_init(log, cfg, run, data.split, model);
    auto optimizer = make_unet3d_optimizer(cfg, model);
    MeanDiceTarget target(cfg.quality_threshold);
    TrainingPlan plan = make_unet3d_plan(cfg, run, model, *optimizer, data);
    log.end(mllog::key::kInitStop);

    const auto loss = [](const at::Tensor& logits, const at::Tensor& label) {
      return dice_ce_loss(logits, label);
    };
    const TrainOutcome outcome =
        train(model, data.train, data.validation, loss, target, ctx, std::move(plan));
    return run.finish(outcome,
                      fmt::format("last mean Dice {:.4f} (target {}), gradient "
                                  "allreduce {:.1f} MB/step, {:.1f} s in all",
                                  outcome.last_quality, cfg.quality_threshold,
                                  outcome.gradient_bytes_per_step / 1e6, outcome.gradient_seconds));
  });
}
