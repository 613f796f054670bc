#include "catch_torch.hpp"

#include <sys/resource.h>
#include <torch/optim/optimizer.h>
#include <torch/utils.h>

#include <csignal>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "segbench/error.hpp"
#include "segbench/models/unet3d.hpp"
#include "segbench/train/checkpoint.hpp"
#include "segbench/train/checkpoint_file.hpp"
#include "segbench/train/optimizer_factory.hpp"
#include "support/scratch_dir.hpp"

namespace fs = std::filesystem;
using namespace segbench;

namespace {

Unet3D tiny_model(uint64_t seed) {
  torch::manual_seed(seed);
  return Unet3D(Unet3DOptions{.filters = {4, 8}});
}

void train_step(Unet3D& model, torch::optim::Optimizer& optimizer, const at::Tensor& x,
                const at::Tensor& y) {
  optimizer.zero_grad();
  at::cross_entropy_loss(model->forward(x), y).backward();
  optimizer.step();
}

bool bitwise_equal(const std::vector<at::Tensor>& a, const std::vector<at::Tensor>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!at::equal(a[i], b[i])) return false;
  }
  return true;
}

std::string file_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void write_bytes(const fs::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

RunState state_at(int64_t epoch, int64_t iteration = 0) {
  RunState s;
  s.next_epoch = epoch;
  s.next_iteration = iteration;
  s.seed = 7;
  s.last_quality = 0.5;
  s.schedule_state = {0.25, 1.5, 1.0, 3.0};
  s.config = {{"optimizer", "sgd"}, {"epochs", 10}};
  s.log_bytes = 1234;
  return s;
}

}  // namespace

TEST_CASE("checkpoint: save, load, one more step equals not stopping (bitwise)", "[trainer]") {
  at::set_num_threads(1);
  const std::string name = GENERATE("sgd", "adam", "lamb");
  INFO(name);
  const test::ScratchDir dir("segbench-ckpt-" + name);
  const fs::path path = dir.path() / "run.sbck";
  torch::manual_seed(123);
  const at::Tensor x = at::randn({2, 1, 8, 8, 8});
  const at::Tensor y = at::randint(0, 3, {2, 8, 8, 8});
  const OptimizerConfig config{.name = name, .learning_rate = 0.05};

  Unet3D uninterrupted = tiny_model(1);
  auto opt_a = make_optimizer(config, uninterrupted->parameters());
  train_step(uninterrupted, *opt_a, x, y);
  train_step(uninterrupted, *opt_a, x, y);
  CHECK(save_checkpoint(path, *uninterrupted, *opt_a, state_at(3, 5)) == path);
  train_step(uninterrupted, *opt_a, x, y);

  Unet3D resumed = tiny_model(2);  // different initial weights: all must come from the file
  auto opt_b = make_optimizer(config, resumed->parameters());
  REQUIRE_FALSE(bitwise_equal(resumed->parameters(), uninterrupted->parameters()));
  const LoadedCheckpoint loaded = load_checkpoint(path, *resumed, *opt_b);
  CHECK(loaded.file == path);
  CHECK(loaded.state.next_epoch == 3);
  CHECK(loaded.state.next_iteration == 5);
  CHECK(loaded.state.last_quality == 0.5);
  CHECK(loaded.state.seed == 7);
  CHECK(loaded.state.schedule_state == std::vector<double>{0.25, 1.5, 1.0, 3.0});
  CHECK(loaded.state.config == state_at(3).config);
  CHECK(loaded.state.log_bytes == std::optional<std::uintmax_t>(1234));
  train_step(resumed, *opt_b, x, y);
  CHECK(bitwise_equal(resumed->parameters(), uninterrupted->parameters()));
}

TEST_CASE("checkpoint: equal states give byte-identical files", "[trainer]") {
  const std::string name = GENERATE("sgd", "adam", "adamw", "lamb");
  INFO(name);
  const test::ScratchDir dir("segbench-ckpt-identical");
  // Another allocation in between: the tensors of a and b live at other addresses.
  Unet3D a = tiny_model(1);
  auto opt_a =
      make_optimizer({.name = name, .learning_rate = 0.1, .momentum = 0.9}, a->parameters());
  const at::Tensor spacer = at::zeros({1000});
  Unet3D b = tiny_model(1);
  auto opt_b =
      make_optimizer({.name = name, .learning_rate = 0.1, .momentum = 0.9}, b->parameters());
  const at::Tensor x = at::randn({1, 1, 8, 8, 8});
  const at::Tensor y = at::zeros({1, 8, 8, 8}, at::kLong);
  train_step(a, *opt_a, x, y);
  train_step(b, *opt_b, x, y);
  save_checkpoint(dir.path() / "a.sbck", *a, *opt_a, state_at(2));
  save_checkpoint(dir.path() / "b.sbck", *b, *opt_b, state_at(2));
  CHECK(file_bytes(dir.path() / "a.sbck") == file_bytes(dir.path() / "b.sbck"));
}

TEST_CASE("checkpoint: missing, foreign, truncated or flipped files are refused by name",
          "[trainer]") {
  const test::ScratchDir dir("segbench-ckpt-damaged");
  Unet3D model = tiny_model(1);
  auto optimizer = make_optimizer({.name = "sgd", .learning_rate = 0.1}, model->parameters());
  const fs::path missing = dir.path() / "no-such.sbck";
  REQUIRE_THROWS_WITH(load_checkpoint(missing, *model, *optimizer),
                      Catch::Contains(missing.string()) && Catch::Contains("does not exist"));
  const fs::path foreign = dir.path() / "foreign.sbck";
  write_bytes(foreign, "definitely not a checkpoint");
  REQUIRE_THROWS_WITH(load_checkpoint(foreign, *model, *optimizer),
                      Catch::Contains(foreign.string()) && Catch::Contains("not a segbench"));

  const fs::path good = dir.path() / "good.sbck";
  save_checkpoint(good, *model, *optimizer, state_at(2));
  const std::string bytes = file_bytes(good);
  const at::Tensor before = model->parameters().front().clone();

  const fs::path truncated = dir.path() / "truncated.sbck";
  write_bytes(truncated, bytes.substr(0, bytes.size() - 100));
  REQUIRE_THROWS_WITH(load_checkpoint(truncated, *model, *optimizer),
                      Catch::Contains(truncated.string()) && Catch::Contains("truncated"));
  // One flipped bit in the tensors, and one in the metadata: the checksums catch both.
  std::string flipped = bytes;
  flipped[flipped.size() - 200] = static_cast<char>(flipped[flipped.size() - 200] ^ 0x01);
  write_bytes(dir.path() / "flipped.sbck", flipped);
  REQUIRE_THROWS_WITH(load_checkpoint(dir.path() / "flipped.sbck", *model, *optimizer),
                      Catch::Contains("checksum mismatch"));
  std::string metadata_flip = bytes;
  const auto at = metadata_flip.find("\"next_epoch\":2");
  REQUIRE(at != std::string::npos);
  metadata_flip[at + 13] = '7';
  write_bytes(dir.path() / "metadata.sbck", metadata_flip);
  REQUIRE_THROWS_WITH(load_checkpoint(dir.path() / "metadata.sbck", *model, *optimizer),
                      Catch::Contains("metadata checksum mismatch"));
  CHECK(at::equal(before, model->parameters().front()));  // nothing was loaded
}

TEST_CASE("checkpoint: a directory keeps the newest K and resumes from the newest valid one",
          "[trainer]") {
  const test::ScratchDir dir("segbench-ckpt-dir");
  const fs::path ckpts = dir.path() / "ckpts";
  REQUIRE(is_checkpoint_directory(ckpts));
  REQUIRE_FALSE(is_checkpoint_directory(dir.path() / "run.pt"));
  Unet3D model = tiny_model(1);
  auto optimizer = make_optimizer({.name = "sgd", .learning_rate = 0.1}, model->parameters());
  for (int epoch = 2; epoch <= 5; ++epoch) {
    save_checkpoint(ckpts, *model, *optimizer, state_at(epoch), /*keep=*/2);
  }
  save_checkpoint(ckpts, *model, *optimizer, state_at(5, 3), /*keep=*/2);
  const auto files = list_checkpoint_files(ckpts);
  REQUIRE(files.size() == 2);
  CHECK(files[0].filename() == checkpoint_file_name(5, 3));
  CHECK(files[1].filename() == checkpoint_file_name(5, 0));

  // The newest is damaged: it is named, passed over, and the one before it is used.
  std::string bytes = file_bytes(files[0]);
  write_bytes(files[0], bytes.substr(0, bytes.size() / 2));
  Unet3D other = tiny_model(3);
  auto other_opt = make_optimizer({.name = "sgd", .learning_rate = 0.1}, other->parameters());
  const LoadedCheckpoint loaded = load_checkpoint(ckpts, *other, *other_opt);
  CHECK(loaded.file == files[1]);
  REQUIRE(loaded.skipped.size() == 1);
  CHECK_THAT(loaded.skipped[0], Catch::Contains(files[0].string()));
  CHECK(bitwise_equal(other->parameters(), model->parameters()));

  write_bytes(files[1], "x");
  REQUIRE_THROWS_WITH(load_checkpoint(ckpts, *other, *other_opt),
                      Catch::Contains("no valid checkpoint"));
}

TEST_CASE("checkpoint: a failed write names the file and leaves the last one intact", "[trainer]") {
  const test::ScratchDir dir("segbench-ckpt-atomic");
  Unet3D model = tiny_model(1);
  auto optimizer = make_optimizer({.name = "sgd", .learning_rate = 0.1}, model->parameters());
  const fs::path path = dir.path() / "model.pt";
  save_checkpoint(path, *model, *optimizer, state_at(1));
  save_checkpoint(path, *model, *optimizer, state_at(2));
  int entries = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir.path())) ++entries;
  CHECK(entries == 1);  // no temp file left beside the checkpoint
  Unet3D other = tiny_model(3);
  auto other_opt = make_optimizer({.name = "sgd", .learning_rate = 0.1}, other->parameters());
  CHECK(load_checkpoint(path, *other, *other_opt).state.next_epoch == 2);

  // A parent that is a regular file: the save must fail loudly and touch nothing.
  const fs::path blocked = path / "nested.pt";
  REQUIRE_THROWS_WITH(save_checkpoint(blocked, *model, *optimizer, state_at(3)),
                      Catch::Contains(blocked.string()));
  CHECK(load_checkpoint(path, *other, *other_opt).state.next_epoch == 2);

  // A full disk: a file-size limit makes write() fail (EFBIG) once the file passes 4 KiB, as
  // ENOSPC would. The error names the file, no temporary file is left, the old one is intact.
  const std::string intact = file_bytes(path);
  {
    struct rlimit saved {};
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &saved) == 0);
    const auto previous_handler = std::signal(SIGXFSZ, SIG_IGN);
    struct rlimit small = saved;
    small.rlim_cur = 4096;
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
    std::string message;
    try {
      save_checkpoint(path, *model, *optimizer, state_at(3));
    } catch (const TrainingError& e) {
      message = e.what();
    }
    ::setrlimit(RLIMIT_FSIZE, &saved);
    std::signal(SIGXFSZ, previous_handler);
    CHECK_THAT(message, Catch::Contains(path.string()) && Catch::Contains("untouched"));
  }
  CHECK(file_bytes(path) == intact);
  entries = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir.path())) ++entries;
  CHECK(entries == 1);
}

TEST_CASE("checkpoint: one of another model is refused, naming the tensors that differ",
          "[trainer]") {
  const test::ScratchDir dir("segbench-ckpt-narrow");
  Unet3D narrow = tiny_model(1);
  auto narrow_sgd = make_optimizer({.name = "sgd", .learning_rate = 0.1}, narrow->parameters());
  const fs::path path = dir.path() / "narrow.sbck";
  save_checkpoint(path, *narrow, *narrow_sgd, state_at(2));
  torch::manual_seed(2);
  Unet3D wide(Unet3DOptions{.filters = {4, 16}});  // the second level twice as wide
  auto wide_sgd = make_optimizer({.name = "sgd", .learning_rate = 0.1}, wide->parameters());
  const at::Tensor before = wide->parameters().back().clone();
  REQUIRE_THROWS_WITH(load_checkpoint(path, *wide, *wide_sgd),
                      Catch::Contains(path.string()) && Catch::Contains("is of another model") &&
                          Catch::Contains("in the checkpoint, ") &&
                          Catch::Contains(" in this model"));
  CHECK(at::equal(before, wide->parameters().back()));  // nothing was loaded
  Unet3D same = tiny_model(3);
  auto same_sgd = make_optimizer({.name = "sgd", .learning_rate = 0.1}, same->parameters());
  CHECK(load_checkpoint(path, *same, *same_sgd).state.seed == 7);
}

TEST_CASE("checkpoint: resume_config_differences lists what may not change", "[trainer]") {
  const nlohmann::json saved = {
      {"optimizer", "sgd"}, {"epochs", 10}, {"data_dir", "/a"}, {"batch_size", 2}};
  nlohmann::json now = saved;
  now["epochs"] = 20;
  now["data_dir"] = "/b";
  CHECK(resume_config_differences(saved, now).empty());
  now["optimizer"] = "adam";
  now.erase("batch_size");
  const auto differ = resume_config_differences(saved, now);
  REQUIRE(differ.size() == 2);
  CHECK_THAT(differ[0], Catch::Contains("batch_size") && Catch::Contains("(absent)"));
  CHECK_THAT(differ[1], Catch::Contains("optimizer") && Catch::Contains("\"adam\""));
}

TEST_CASE("checkpoint: the fuzzers' past findings are refused by name, before LibTorch parses",
          "[trainer]") {
  const fs::path dir = fs::path(SEGBENCH_TEST_DATA_DIR) / "fuzz-regressions" / "checkpoint";
  REQUIRE(fs::is_directory(dir));
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    INFO(entry.path());
    Unet3D model = tiny_model(1);
    auto optimizer = make_optimizer({.name = "sgd", .learning_rate = 0.1}, model->parameters());
    REQUIRE_THROWS_AS(load_checkpoint(entry.path(), *model, *optimizer), TrainingError);
    REQUIRE_THROWS_WITH(load_checkpoint(entry.path(), *model, *optimizer),
                        Catch::Contains(entry.path().string()));
    ++files;
  }
  CHECK(files >= 3);
}
