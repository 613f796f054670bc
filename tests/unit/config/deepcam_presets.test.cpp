// DeepCAM presets against the reference commands (docs/reference/commands/) and the HPC 3.0.0
// reference convergence points (docs/reference/rcps_deepcam_hpc_3.0.0.json), and the reference's
// own flag syntax on the command line.
#include <catch2/catch.hpp>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "segbench/error.hpp"
#include "segbench/recipes/deepcam/config.hpp"
#include "segbench/recipes/deepcam/rcp.hpp"

using namespace segbench;

namespace {

DeepcamConfig parse(std::vector<const char*> args, int world_size = 1) {
  args.insert(args.begin(), "deepcam_climate");
  return parse_deepcam_cli_for_world(static_cast<int>(args.size()), args.data(), world_size);
}

bool has_note(const DeepcamConfig& c, const std::string& text) {
  for (const auto& note : c.notes) {
    if (note.find(text) != std::string::npos) return true;
  }
  return false;
}

// JSON numbers or the strings the file sometimes uses ("0.1", "9000").
double number(const nlohmann::json& v) {
  return v.is_string() ? std::stod(v.get<std::string>()) : v.get<double>();
}

}  // namespace

TEST_CASE("deepcam baseline preset is the NREL command and the default", "[config]") {
  const DeepcamConfig c = parse({"--dry-run"});
  CHECK(c.preset == "baseline");
  CHECK(c.optimizer == "AdamW");
  CHECK(c.start_lr == 1e-3);
  CHECK(c.lr_schedule == "multistep");
  CHECK(c.lr_milestones == std::vector<int64_t>{1200});
  CHECK(c.lr_decay_rate == 0.5);
  CHECK(c.lr_warmup_steps == 0);
  CHECK(c.weight_decay == 1e-2);
  CHECK(c.logging_frequency == 0);
  CHECK(c.checkpoint_every == 400);
  CHECK(c.max_epochs == 200);
  CHECK(c.local_batch_size == 8);
  CHECK(c.num_workers == 4);
  CHECK(c.eps == 1e-6);
  CHECK(changed_fixed_hyperparameters(c).empty());
  // "reference" stays as an alias.
  const DeepcamConfig alias = deepcam_preset("reference");
  CHECK(alias.preset == "baseline");
  CHECK(to_json(alias) == to_json(deepcam_preset("baseline")));
  const auto lines = deepcam_preset_provenance(c);
  REQUIRE(lines.size() == 3);
  CHECK_THAT(lines[0], Catch::StartsWith("preset baseline: NREL"));
  CHECK_THAT(lines[2], Catch::Contains("irrelevant"));
}

TEST_CASE("deepcam mlcommons preset is run_training.sh", "[config]") {
  const DeepcamConfig c = deepcam_preset("mlcommons");
  CHECK(c.optimizer == "LAMB");
  CHECK(c.eps == 1e-6);
  CHECK(c.start_lr == 0.0055);
  CHECK(c.lr_milestones == std::vector<int64_t>{800});
  CHECK(c.lr_decay_rate == 0.1);
  CHECK(c.lr_warmup_steps == 400);
  CHECK(c.lr_warmup_factor == 1.0);
  CHECK(c.weight_decay == 1e-2);
  CHECK(c.logging_frequency == 10);
  CHECK(c.checkpoint_every == 0);
  CHECK(c.max_epochs == 200);
  CHECK(c.num_workers == 4);
  CHECK(c.batchnorm_group_size == 1);
  CHECK(c.local_batch_size == 2);
  CHECK(c.seed == -1);
  CHECK_THAT(deepcam_preset_provenance(c)[0],
             Catch::Contains("MLCommons HPC deepcam/src/deepCam/run_scripts/run_training.sh"));
}

TEST_CASE("deepcam rcp presets match every entry of rcps_deepcam_hpc_3.0.0.json", "[config]") {
  const auto path = std::filesystem::path(SEGBENCH_TEST_DATA_DIR) / ".." / ".." / "docs" /
                    "reference" / "rcps_deepcam_hpc_3.0.0.json";
  std::ifstream in(path);
  REQUIRE(in.good());
  const nlohmann::json file = nlohmann::json::parse(in);
  REQUIRE(file.size() == deepcam_rcps().size());
  for (const auto& [name, entry] : file.items()) {
    const auto& h = entry["Hyperparams"];
    const int64_t bs = entry["BS"].get<int64_t>();
    INFO(name);
    const DeepcamRcp& r = deepcam_rcp(bs);
    CHECK(r.name == name);
    CHECK(r.epochs_to_converge == entry["Epochs to converge"].get<std::vector<int>>());
    CHECK(h["opt_bias_correction"].get<bool>());
    CHECK(h["opt_grad_averaging"].get<bool>());
    const std::string preset = fmt::format("rcp-{}", bs);
    // 8 ranks: the local batch is the global one divided by 8.
    const DeepcamConfig c = parse({"--preset", preset.c_str(), "--dry-run"}, 8);
    CHECK(c.preset == preset);
    CHECK(c.global_batch_size == h["global_batch_size"].get<int64_t>());
    CHECK(c.local_batch_size * 8 * c.gradient_accumulation_frequency == bs);
    CHECK(c.gradient_accumulation_frequency == h["gradient_accumulation_frequency"].get<int64_t>());
    CHECK(c.batchnorm_group_size == h["batchnorm_groupsize"].get<int64_t>());
    CHECK(c.optimizer == h["opt_name"].get<std::string>());
    CHECK(c.start_lr == h["opt_lr"].get<double>());
    CHECK(c.betas[0] == h["opt_betas"][0].get<double>());
    CHECK(c.betas[1] == h["opt_betas"][1].get<double>());
    CHECK(c.eps == h["opt_eps"].get<double>());
    CHECK(c.weight_decay == h["opt_weight_decay"].get<double>());
    CHECK(c.max_grad_norm == h["opt_max_grad_norm"].get<double>());
    CHECK(c.lr_schedule == h["scheduler_type"].get<std::string>());
    CHECK(c.lr_warmup_steps == h["scheduler_lr_warmup_steps"].get<int64_t>());
    CHECK(c.lr_warmup_factor == h["scheduler_lr_warmup_factor"].get<double>());
    if (c.lr_schedule == "multistep") {
      CHECK(c.lr_milestones == h["scheduler_milestones"].get<std::vector<int64_t>>());
      CHECK(c.lr_decay_rate == number(h["scheduler_decay_rate"]));
    } else {
      CHECK(c.lr_t_max == static_cast<int64_t>(number(h["scheduler_t_max"])));
      CHECK(c.lr_eta_min == number(h["scheduler_eta_min"]));
    }
    CHECK(changed_fixed_hyperparameters(c).empty());
    CHECK_THAT(deepcam_preset_provenance(c)[0], Catch::Contains(name));
  }
}

TEST_CASE("deepcam rcp presets fix the global batch", "[config]") {
  CHECK(parse({"--preset", "rcp-128", "--dry-run"}, 4).local_batch_size == 32);
  CHECK(parse({"--preset", "rcp-2048", "--dry-run"}, 1).local_batch_size == 2048);
  CHECK_THROWS_WITH(parse({"--preset", "rcp-128", "--dry-run"}, 3),
                    Catch::Contains("global batch 128 (preset rcp-128) does not divide into 3 "
                                    "ranks"));
  CHECK_THROWS_WITH(parse({"--preset", "rcp-128", "--dry-run", "--local_batch_size", "8"}, 4),
                    Catch::Contains("--local_batch_size 8: the global batch 128 on 4 ranks needs "
                                    "local batch 32"));
  // --global_batch_size 0 frees it.
  CHECK(parse({"--preset", "rcp-128", "--dry-run", "--global_batch_size", "0", "--local_batch_size",
               "8"},
              4)
            .local_batch_size == 8);
  CHECK_THROWS_WITH(deepcam_preset("rcp-100"), Catch::Contains("128, 256, 512, 1024, 2048"));
  CHECK_THROWS_WITH(deepcam_preset("rcp-x"), Catch::Contains("rcp-<global batch size>"));
  CHECK_THROWS_WITH(deepcam_preset("tiny"), Catch::Contains("baseline, mlcommons, rcp-128"));
}

TEST_CASE("deepcam --lr_schedule takes the reference's key=value syntax", "[config]") {
  // What the shell passes for type="multistep",milestones="800 1200",decay_rate="0.1".
  DeepcamConfig c =
      parse({"--dry-run", "--lr_schedule", "type=multistep,milestones=800 1200,decay_rate=0.1"});
  CHECK(c.lr_schedule == "multistep");
  CHECK(c.lr_milestones == std::vector<int64_t>{800, 1200});
  CHECK(c.lr_decay_rate == 0.1);
  // Inside single quotes the double quotes stay.
  c = parse({"--dry-run", "--lr_schedule",
             "type=\"cosine_annealing\",t_max=\"9000\",eta_min=\"0.5e-4\""});
  CHECK(c.lr_schedule == "cosine_annealing");
  CHECK(c.lr_t_max == 9000);
  CHECK(c.lr_eta_min == 0.5e-4);
  c = parse({"--dry-run", "--lr_schedule", "type=cosine_annealing,t_max=100"});
  CHECK(c.lr_eta_min == 0.0);
  // The bare segbench form still works.
  c = parse({"--dry-run", "--lr_schedule", "none"});
  CHECK(c.lr_schedule == "none");
  CHECK_THROWS_WITH(parse({"--dry-run", "--lr_schedule",
                           "type=multistep,milestones=8x0,"
                           "decay_rate=0.1"}),
                    Catch::Contains("--lr_schedule milestones: '8x0' is not an integer"));
  CHECK_THROWS_WITH(parse({"--dry-run", "--lr_schedule", "type=multistep,milestones=800"}),
                    Catch::Contains("needs milestones= and decay_rate="));
  CHECK_THROWS_WITH(parse({"--dry-run", "--lr_schedule", "type=step,milestones=1,decay_rate=1"}),
                    Catch::Contains("got 'step'"));
  CHECK_THROWS_WITH(parse({"--dry-run", "--lr_schedule", "type=cosine_annealing,t_max=9,gamma=1"}),
                    Catch::Contains("unknown key 'gamma'"));
  CHECK_THROWS_WITH(parse({"--dry-run", "--lr_schedule", "cosine"}),
                    Catch::Contains("--lr_schedule 'cosine'"));
  CHECK_THROWS_WITH(parse({"--dry-run", "--lr_schedule",
                           "type=multistep,milestones=1,decay_rate=0.1", "--lr_milestones", "5"}),
                    Catch::Contains("both set the schedule"));
}

TEST_CASE("deepcam takes the reference's other flags, with one note per mapped flag", "[config]") {
  DeepcamConfig c = parse({"--dry-run",
                           "--wireup_method",
                           "nccl-slurm-pmi",
                           "--model_prefix",
                           "classifier",
                           "--max_inter_threads",
                           "3",
                           "--lr_warmup_factor",
                           "0",
                           "--lr_warmup_steps",
                           "0",
                           "--run_tag",
                           "t",
                           "--data_dir_prefix",
                           "/d",
                           "--logging_frequency",
                           "10",
                           "--adam_eps",
                           "1e-6",
                           "--resume_logging",
                           "--wandb_certdir",
                           "/c"});
  CHECK(c.dist == "auto");
  CHECK(c.wireup_method == "nccl-slurm-pmi");
  CHECK(c.num_workers == 3);
  CHECK(c.lr_warmup_factor == 1.0);
  CHECK(c.data_dir == "/d");
  CHECK(c.logging_frequency == 10);
  CHECK(deepcam_log_file(c).empty());  // neither --output_dir nor --log_dir: stdout only
  CHECK(deepcam_log_file(parse({"--dry-run", "--log_dir", "/l", "--output_dir", "/o"})) ==
        "/l/deepcam.log");
  CHECK(deepcam_log_file(parse({"--dry-run", "--output_dir", "/o"})) == "/o/logs/deepcam.log");
  CHECK(c.notes.size() == 5);
  CHECK(has_note(c, "--wireup_method nccl-slurm-pmi: --dist auto"));
  CHECK(has_note(c, "--model_prefix classifier"));
  CHECK(has_note(c, "--lr_warmup_factor 0: unused without warm-up steps"));
  CHECK(has_note(c, "--resume_logging"));
  CHECK(has_note(c, "--wandb_certdir"));
  CHECK(parse({"--dry-run", "--wireup_method", "dummy"}).dist == "none");
  CHECK(parse({"--dry-run", "--wireup_method", "mpi"}).dist == "mpi");
  c = parse({"--dry-run", "--wireup_method", "dummy", "--dist", "gloo"});
  CHECK(c.dist == "gloo");
  CHECK(has_note(c, "--dist gloo given"));
  // With warm-up steps a factor below 1 is refused (the HPC rules want >= 1).
  CHECK_THROWS_WITH(parse({"--dry-run", "--lr_warmup_factor", "0", "--lr_warmup_steps", "10"}),
                    Catch::Contains("--lr_warmup_factor >= 1"));
  CHECK_THROWS_WITH(parse({"--dry-run", "--wireup_method", "pmi"}),
                    Catch::Contains("--wireup_method"));
  CHECK_THROWS_WITH(parse({"--dry-run", "--logging_frequency", "-1"}),
                    Catch::Contains("--logging_frequency must be >= 0"));
  // Unknown flags stay errors.
  CHECK_THROWS_WITH(parse({"--dry-run", "--local_batchsize", "2"}),
                    Catch::Contains("--local_batchsize"));
}
