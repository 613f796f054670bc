// The run skeleton on one process: seed, platform, context, logger, summary line and exit code,
// and the stop signals.
#include "catch_torch.hpp"

#include <torch/cuda.h>
#include <torch/nn/modules/linear.h>
#include <torch/utils.h>

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>

#include "segbench/error.hpp"
#include "segbench/run/data_parallel_run.hpp"
#include "segbench/run/device.hpp"
#include "segbench/run/run_main.hpp"
#include "support/scratch_dir.hpp"

using namespace segbench;
namespace fs = std::filesystem;

TEST_CASE("DataParallelRun on one process: seed, platform, context, log, exit codes", "[run]") {
  const nlohmann::json config = {{"lr", 0.1}};
  DataParallelRun run("toy", RunOptions{.seed = 7, .threads = 1}, config);
  CHECK(run.seed() == 7);
  CHECK(run.env().world_size == 1);
  CHECK(run.platform() == "1xCPU-1thread");
  CHECK(run.grad_sync() == GradientSyncMode::after_backward);
  REQUIRE_THROWS_WITH(run.context(), Catch::Contains("toy: context() before connect()"));
  REQUIRE_THROWS_WITH(run.log(), Catch::Contains("toy: log() before open_log()"));

  AnyContext& ctx = run.connect();
  CHECK(ctx.world_size() == 1);
  CHECK(ctx.backend_name() == "none");
  REQUIRE_THROWS_AS(run.connect(), ConfigError);
  CHECK(run.shape().world_size == 1);
  CHECK(run.shape().accelerators_per_node == 0);

  torch::nn::Linear layer(2, 2);
  const at::Tensor before = layer->weight.clone();
  run.place_model(*layer);  // one rank on the CPU: its own weights stay
  CHECK(at::equal(before, layer->weight));

  test::ScratchDir dir("run-skeleton");
  mllog::Logger& log = run.open_log(dir.path() / "logs" / "toy.log");
  log.event("submission_org", "test");
  CHECK(fs::exists(dir.path() / "logs" / "toy.log"));
  CHECK(&run.log() == &log);

  TrainOutcome outcome;
  outcome.status = RunStatus::success;
  CHECK(run.finish(outcome, "details") == 0);
  outcome.status = RunStatus::aborted;
  CHECK(run.finish(outcome, "details") == 1);
}

TEST_CASE("DataParallelRun: the same seed gives the same torch draws; -1 draws a seed", "[run]") {
  DataParallelRun a("toy", RunOptions{.seed = 11}, {});
  const at::Tensor x = at::randn({4});
  DataParallelRun b("toy", RunOptions{.seed = 11}, {});
  CHECK(at::equal(x, at::randn({4})));
  DataParallelRun c("toy", RunOptions{.seed = -1}, {});
  CHECK(c.seed() >= 0);
  REQUIRE_THROWS_AS(DataParallelRun("toy", RunOptions{.seed = -5}, {}), ConfigError);
  DataParallelRun d("toy", RunOptions{.grad_sync = "sometimes"}, {});
  REQUIRE_THROWS_AS(d.grad_sync(), ConfigError);
}

TEST_CASE("--device: auto follows CUDA availability, cuda without a GPU fails at once", "[run]") {
  const bool cuda = torch::cuda::is_available();
  CHECK(resolve_device("cpu", 3) == c10::Device(c10::kCPU));
  CHECK(resolve_device("auto", 0).is_cuda() == cuda);
  REQUIRE_THROWS_WITH(resolve_device("tpu", 0),
                      Catch::Contains("--device tpu: expected auto, cpu, cuda or cuda:N"));
  if (cuda) {
    CHECK(resolve_device("cuda", 0) == c10::Device(c10::kCUDA, 0));
    CHECK(resolve_device("cuda:0", 5) == c10::Device(c10::kCUDA, 0));
    REQUIRE_THROWS_WITH(resolve_device("cuda:99", 0), Catch::Contains("GPU(s)"));
  } else {
    REQUIRE_THROWS_WITH(resolve_device("cuda", 0),
                        Catch::Contains("--device cuda: CUDA is not available"));
    REQUIRE_THROWS_WITH(resolve_device("cuda:1", 0), Catch::Contains("CUDA is not available"));
    REQUIRE_THROWS_AS(DataParallelRun("toy", RunOptions{.device = "cuda"}, {}), ConfigError);
  }
  DataParallelRun run("toy", RunOptions{.device = "cpu", .seed = 1}, {});
  CHECK(run.device() == c10::Device(c10::kCPU));
  CHECK(run.shape().accelerators_per_node == 0);
}

TEST_CASE("stop signals: the first is remembered, a second ends the process at once", "[run]") {
  DataParallelRun run("toy", RunOptions{.seed = 1}, {});
  const auto stop_requested = run.stop_signals();
  std::raise(SIGUSR1);  // would end the process without the handler
  CHECK(stop_requested());
  // The second signal, in a child (it exits there): 128 + SIGTERM, nothing else run.
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    std::raise(SIGTERM);
    ::_exit(0);  // not reached when the handler exits
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 128 + SIGTERM);
}

TEST_CASE("run_driver: exit codes of the body, errors and --help", "[run]") {
  CHECK(run_driver("toy", [] { return 1; }) == 1);
  CHECK(run_driver("toy", []() -> int { throw DataError("case_00001_x.npy: truncated"); }) == 2);
  CHECK(run_driver("toy", []() -> int { throw std::runtime_error("boom"); }) == 2);
  CHECK(run_driver("toy", []() -> int { throw EarlyExit{0}; }) == 0);
}

TEST_CASE("--save_ckpt_path is checked writable at start-up, not at the first save", "[run]") {
  test::ScratchDir dir("run-ckpt");
  RunOptions options;
  options.device = "cpu";
  options.seed = 1;
  options.checkpoint_path = dir / "deep" / "er" / "model.pt";
  DataParallelRun ok("t", options, {});
  CHECK(fs::is_directory(dir / "deep" / "er"));
  CHECK(fs::is_empty(dir / "deep" / "er"));  // the probe file is gone
  // A directory that cannot exist: its parent is a regular file (root ignores permissions).
  dir.touch("a-file");
  options.checkpoint_path = dir / "a-file" / "model.pt";
  CHECK_THROWS_WITH(DataParallelRun("t", options, {}),
                    Catch::Contains("--save_ckpt_path " + options.checkpoint_path.string() +
                                    ": cannot create the directory"));
  options.dry_run = true;  // a dry run creates and checks nothing
  CHECK_NOTHROW(DataParallelRun("t", options, {}));
}
