#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "segbench/error.hpp"
#include "segbench/log/log_file.hpp"
#include "segbench/log/mllog_reader.hpp"
#include "support/scratch_dir.hpp"

using namespace segbench;
namespace fs = std::filesystem;
using Catch::Matchers::Contains;

namespace {

// The set-up block, run_start and `epochs` epochs of one run, as a driver and trainer log them.
void log_run(mllog::Logger& log, int first_epoch, int epochs, double lr = 0.8) {
  log.event("submission_benchmark", "unet3d");
  // The checkpoint a run starts from: the one set-up value a resumption changes.
  log.event("checkpoint", first_epoch > 1 ? nlohmann::json("ckpt.pt") : nlohmann::json());
  log.start("init_start");
  log.event("opt_base_learning_rate", lr);
  log.event("weights_initialization", nullptr, {{"tensor", "a"}});
  log.event("weights_initialization", nullptr, {{"tensor", "b"}});
  log.end("init_stop");
  log.start("run_start");
  if (first_epoch > 1) log.event("run_resumed", nullptr, {{"epoch_num", first_epoch - 1}});
  for (int e = first_epoch; e < first_epoch + epochs; ++e) {
    log.start("epoch_start", nullptr, {{"epoch_num", e}});
    log.end("epoch_stop", nullptr, {{"epoch_num", e}});
  }
}

std::vector<std::string> keys_of(const fs::path& file) {
  std::ifstream in(file);
  std::vector<std::string> problems, keys;
  for (const auto& e : mllog::read_mllog(in, problems)) keys.push_back(e.key);
  return keys;
}

long count(const std::vector<std::string>& keys, const std::string& key) {
  return std::count(keys.begin(), keys.end(), key);
}

}  // namespace

TEST_CASE("a fresh run sets an older log aside instead of appending to it", "[log]") {
  test::ScratchDir dir("log-fresh");
  const fs::path file = dir / "unet3d.log";
  for (int run = 0; run < 3; ++run) {
    mllog::RunLog opened = mllog::open_run_log(file, false, nullptr);
    log_run(*opened.logger, 1, 1);
    if (run > 0) {
      REQUIRE(opened.notes.size() == 1);
      CHECK_THAT(opened.notes[0], Contains(fmt::format("unet3d.log.{}", run)));
    }
  }
  CHECK(count(keys_of(file), "run_start") == 1);
  CHECK(count(keys_of(dir / "unet3d.log.1"), "run_start") == 1);
  CHECK(count(keys_of(dir / "unet3d.log.2"), "run_start") == 1);
  CHECK_FALSE(fs::exists(dir / "unet3d.log.3"));
}

TEST_CASE("a resumed run continues the interrupted run's log as one run", "[log]") {
  test::ScratchDir dir("log-resume");
  const fs::path file = dir / "unet3d.log";
  log_run(*mllog::open_run_log(file, false, nullptr).logger, 1, 2);  // interrupted after epoch 2

  std::ostringstream echo;
  mllog::RunLog resumed = mllog::open_run_log(file, true, &echo);
  REQUIRE(resumed.notes.size() == 1);
  CHECK_THAT(resumed.notes[0], Contains("its last logged epoch is 2"));
  log_run(*resumed.logger, 3, 2);
  resumed.logger->end("run_stop", nullptr, {{"status", "success"}});

  const std::vector<std::string> keys = keys_of(file);
  for (const char* once : {"submission_benchmark", "init_start", "init_stop", "run_start",
                           "run_resumed", "run_stop", "opt_base_learning_rate"}) {
    INFO(once);
    CHECK(count(keys, once) == 1);
  }
  CHECK(count(keys, "weights_initialization") == 2);
  CHECK(count(keys, "epoch_start") == 4);
  CHECK(keys.back() == "run_stop");
  // The dropped events are not echoed either.
  CHECK(echo.str().find("init_start") == std::string::npos);
  CHECK(echo.str().find("run_resumed") != std::string::npos);
}

TEST_CASE("a resumed run that cannot continue the log coherently is refused", "[log]") {
  test::ScratchDir dir("log-refuse");
  const fs::path file = dir / "unet3d.log";
  log_run(*mllog::open_run_log(file, false, nullptr).logger, 1, 3);

  SECTION("another value of a logged hyperparameter") {
    mllog::RunLog resumed = mllog::open_run_log(file, true, nullptr);
    CHECK_THROWS_WITH(log_run(*resumed.logger, 4, 1, 0.5),
                      Contains("opt_base_learning_rate = 0.5") && Contains("logged 0.8"));
  }
  SECTION("a set-up key the interrupted run did not log") {
    mllog::RunLog resumed = mllog::open_run_log(file, true, nullptr);
    CHECK_THROWS_AS(resumed.logger->event("opt_momentum", 0.9), ConfigError);
  }
  SECTION("a checkpoint beyond the log's last epoch") {
    mllog::RunLog resumed = mllog::open_run_log(file, true, nullptr);
    CHECK_THROWS_WITH(log_run(*resumed.logger, 5, 1),
                      Contains("holds epochs up to 3") && Contains("after epoch 4"));
  }
  SECTION("a log whose run is over") {
    mllog::Logger(file).end("run_stop", nullptr, {{"status", "aborted"}});
    CHECK_THROWS_WITH(mllog::open_run_log(file, true, nullptr),
                      Contains("already ends its run") && Contains("status aborted"));
  }
}

TEST_CASE("a run resumed from an older checkpoint cuts the epochs logged after it", "[log]") {
  test::ScratchDir dir("log-cut");
  const fs::path file = dir / "unet3d.log";
  // Killed during epoch 4 with the checkpoint of epoch 2: epochs 1-3 and a torn line logged.
  log_run(*mllog::open_run_log(file, false, nullptr).logger, 1, 3);
  mllog::Logger(file).start("epoch_start", nullptr, {{"epoch_num", 4}});
  std::ofstream(file, std::ios::app) << ":::MLLOG {\"namespace\": \"\", \"time_ms\"";

  mllog::RunLog resumed = mllog::open_run_log(file, true, nullptr);
  log_run(*resumed.logger, 3, 2);  // run_resumed after epoch 2, then epochs 3 and 4
  resumed.logger->end("run_stop", nullptr, {{"status", "success"}});

  std::ifstream in(file);
  std::vector<std::string> problems;
  std::vector<int64_t> epochs;
  for (const auto& e : mllog::read_mllog(in, problems)) {
    if (e.key == "epoch_start") epochs.push_back(e.metadata["epoch_num"].get<int64_t>());
  }
  CHECK(epochs == std::vector<int64_t>{1, 2, 3, 4});
  CHECK(problems.empty());
  CHECK(count(keys_of(file), "run_resumed") == 1);
  CHECK(count(keys_of(file), "run_start") == 1);
  CHECK(keys_of(file).back() == "run_stop");
  // The torn line went with the cut, and no temporary file is left beside the log.
  std::ifstream text(file);
  const std::string all((std::istreambuf_iterator<char>(text)), {});
  CHECK(all.find("\"time_ms\":::MLLOG") == std::string::npos);
  CHECK(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()) == 1);
}

TEST_CASE("a resumed run drops a torn last line before it appends", "[log]") {
  test::ScratchDir dir("log-torn");
  const fs::path file = dir / "deepcam.log";
  log_run(*mllog::open_run_log(file, false, nullptr).logger, 1, 2);
  std::ofstream(file, std::ios::app) << ":::MLLOG {\"namespace\": \"\", \"ti";  // killed here
  mllog::RunLog resumed = mllog::open_run_log(file, true, nullptr);
  REQUIRE(resumed.notes.size() == 2);
  CHECK_THAT(resumed.notes[0], Contains("dropped the torn last line"));
  log_run(*resumed.logger, 3, 1);
  CHECK(count(keys_of(file), "run_resumed") == 1);  // readable: not glued to the torn line
  CHECK(count(keys_of(file), "epoch_start") == 3);
}

TEST_CASE("resuming without a log to continue starts a fresh one", "[log]") {
  test::ScratchDir dir("log-resume-fresh");
  const fs::path file = dir / "deepcam.log";
  mllog::RunLog opened = mllog::open_run_log(file, true, nullptr);
  CHECK(opened.notes.empty());
  log_run(*opened.logger, 3, 1);
  CHECK(count(keys_of(file), "run_start") == 1);
  CHECK(count(keys_of(file), "run_resumed") == 1);

  // A log cut off before run_start (the run died in set-up) is set aside, not continued.
  const fs::path cut = dir / "cut.log";
  mllog::Logger(cut).start("init_start");
  mllog::RunLog again = mllog::open_run_log(cut, true, nullptr);
  REQUIRE(again.notes.size() == 1);
  CHECK_THAT(again.notes[0], Contains("cut.log.1"));
}

TEST_CASE("a run resumed from a mid-epoch checkpoint cuts the log at the recorded length",
          "[log]") {
  test::ScratchDir dir("log-cut-exact");
  const fs::path file = dir / "unet3d.log";
  std::uintmax_t checkpoint_length = 0;
  {
    mllog::RunLog first = mllog::open_run_log(file, false, nullptr);
    log_run(*first.logger, 1, 1);
    first.logger->start("epoch_start", nullptr, {{"epoch_num", 2}});
    first.logger->event("train_loss", 0.5, {{"epoch_num", 2}});
    checkpoint_length = first.logger->file_length().value();     // checkpoint mid epoch 2
    first.logger->event("train_loss", 0.4, {{"epoch_num", 2}});  // logged, then killed
  }
  mllog::RunLog resumed = mllog::open_run_log(file, true, nullptr);
  resumed.logger->resume_at_length(checkpoint_length);
  resumed.logger->start("run_start");  // dropped: the interrupted run's stands
  resumed.logger->event("run_resumed", nullptr, {{"epoch_num", 1}});
  resumed.logger->event("train_loss", 0.4, {{"epoch_num", 2}});
  resumed.logger->end("epoch_stop", nullptr, {{"epoch_num", 2}});

  const std::vector<std::string> keys = keys_of(file);
  CHECK(count(keys, "train_loss") == 2);  // 0.5 before the checkpoint, 0.4 once, after it
  CHECK(count(keys, "epoch_start") == 2);
  CHECK(keys.back() == "epoch_stop");

  // A log shorter than the checkpoint recorded lost lines: refused.
  mllog::RunLog again = mllog::open_run_log(file, true, nullptr);
  CHECK_THROWS_WITH(again.logger->resume_at_length(fs::file_size(file) + 10),
                    Contains("lost lines"));
}
