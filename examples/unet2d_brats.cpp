// nnU-Net 2D U-Net on BraTS (MSD Task01): the recipe's preset and CLI, composed with the
// core's train(); stops by early stopping (reference) or at the mean Dice target. One process per
// rank (Slurm, mpirun or torchrun variables).
#include <torch/optim/optimizer.h>
#include <nlohmann/json.hpp>

#include "segbench/log/mllog_keys.hpp"
#include "segbench/losses/nnunet_loss.hpp"
#include "segbench/metrics/brats_dice.hpp"
#include "segbench/models/module_size.hpp"
#include "segbench/models/unet2d.hpp"
#include "segbench/recipes/brats/config.hpp"
#include "segbench/recipes/brats/dice_target.hpp"
#include "segbench/recipes/brats/setup.hpp"
#include "segbench/recipes/common/run_options.hpp"
#include "segbench/run/data_parallel_run.hpp"
#include "segbench/run/run_main.hpp"
#include "segbench/train/train.hpp"

using namespace segbench;

int main(int argc, char** argv) {
  return run_driver("unet2d_brats", [&] {
    const BratsConfig cfg = parse_brats_cli(argc, argv);
    DataParallelRun run("unet2d_brats", run_options(cfg), to_json(cfg));
    if (run.dry_run()) {
      Unet2D model(brats_model_options(cfg, 4, 4));
      return run.print_dry_run({{"filters", nlohmann::json(model->filters()).dump()},
                                {"parameters", std::to_string(count_parameters(*model))}});
    }
    AnyContext& ctx = run.connect();
    const BratsData data = open_brats_data(cfg);
    Unet2D model(brats_model_options(cfg, data.in_channels, data.n_class));
    run.place_model(*model);
    mllog::Logger& log = run.open_log(cfg.log_dir.empty() ? std::filesystem::path()
                                                          : cfg.log_dir / "unet2d_brats.log");
    log_brats_init(log, cfg, run, data);
    auto optimizer = make_brats_optimizer(cfg, model);
    BratsDiceTarget target(cfg.quality_target > 0 ? std::optional(cfg.quality_target)
                                                  : std::nullopt);
    TrainingPlan plan = make_brats_plan(cfg, run, model, *optimizer);
    log.end(mllog::key::kInitStop);

    const TrainOutcome outcome = train(model, data.train, data.validation, nnunet_dice_ce_loss,
                                       target, ctx, std::move(plan));
    const auto& dice = target.class_means();
    return run.finish(
        outcome,
        fmt::format("last mean Dice {:.4f} (target {}; L1 {:.4f} L2 {:.4f} "
                    "L3 {:.4f}), throughput {:.1f} images/s, {}",
                    outcome.last_quality,
                    cfg.quality_target > 0 ? fmt::format("{}", cfg.quality_target) : "none",
                    dice.size() > 0 ? dice[0] : 0.0, dice.size() > 1 ? dice[1] : 0.0,
                    dice.size() > 2 ? dice[2] : 0.0,
                    outcome.samples_trained / std::max(1e-9, outcome.train_seconds),
                    run.precision().describe()));
  });
}
