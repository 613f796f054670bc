#include "catch_torch.hpp"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include "segbench/data/brats_dataset.hpp"
#include "segbench/data/npy_tensor.hpp"
#include "segbench/error.hpp"
#include "support/scratch_dir.hpp"

using namespace segbench;
using Catch::Contains;

namespace {

void write_case(const test::ScratchDir& dir, const std::string& id, const at::Tensor& image,
                const at::Tensor& label) {
  write_npy_tensor(dir / (id + "_x.npy"), image);
  write_npy_tensor(dir / (id + "_y.npy"), label);
}

}  // namespace

TEST_CASE("BratsDataset yields (4, D, H, W) float images and (1, D, H, W) uint8 labels", "[data]") {
  at::set_num_threads(1);
  test::ScratchDir dir("brats-dataset");
  const at::Tensor image = at::arange(4 * 3 * 5 * 6, at::kFloat).reshape({4, 3, 5, 6});
  const at::Tensor label =
      (at::arange(3 * 5 * 6, at::kLong) % 4).to(at::kByte).reshape({1, 3, 5, 6});
  write_case(dir, "BRATS_001", image, label);
  write_case(dir, "BRATS_002", image * 2, label);

  for (const bool cache : {false, true}) {
    INFO("cache " << cache);
    const BratsDataset dataset(dir.path(), {"BRATS_002", "BRATS_001"}, cache);
    REQUIRE(dataset.size() == 2);
    CHECK(dataset.case_id(0) == "BRATS_002");
    CHECK(dataset.image_path(1) == dir / "BRATS_001_x.npy");
    CHECK(dataset.label_path(1) == dir / "BRATS_001_y.npy");
    const Sample sample = dataset.get(0);
    CHECK(sample.case_id == "BRATS_002");
    CHECK(sample.image.scalar_type() == at::kFloat);
    CHECK(sample.label.scalar_type() == at::kByte);
    CHECK(sample.image.sizes() == at::IntArrayRef{4, 3, 5, 6});
    CHECK(sample.label.sizes() == at::IntArrayRef{1, 3, 5, 6});
    CHECK(at::equal(sample.image, image * 2));
    CHECK(at::equal(dataset.get(1).label, label));
    CHECK(at::equal(dataset.get(0).image, sample.image));  // a second read (or the cache) agrees
  }
  REQUIRE_THROWS_WITH(BratsDataset(dir.path(), {"BRATS_001"}).get(1),
                      Contains("index 1 out of range (size 1)"));
}

TEST_CASE("BratsDataset rejects bad volumes naming the file", "[data]") {
  at::set_num_threads(1);
  test::ScratchDir dir("brats-dataset-bad");
  const at::Tensor image = at::zeros({4, 2, 3, 3}, at::kFloat);
  const at::Tensor label = at::zeros({1, 2, 3, 3}, at::kByte);
  const auto load = [&](const std::string& id) { return load_brats_case(dir.path(), id); };

  write_case(dir, "channels", at::zeros({3, 2, 3, 3}, at::kFloat), label);
  REQUIRE_THROWS_AS(load("channels"), DataError);
  REQUIRE_THROWS_WITH(load("channels"), Contains("channels_x.npy") &&
                                            Contains("image has shape [3, 2, 3, 3]") &&
                                            Contains("expected (4, D, H, W)"));
  write_case(dir, "dtype", image.to(at::kDouble), label);
  REQUIRE_THROWS_WITH(load("dtype"),
                      Contains("dtype_x.npy") && Contains("dtype float64, expected float32"));
  write_case(dir, "labeltype", image, label.to(at::kLong));
  REQUIRE_THROWS_WITH(load("labeltype"),
                      Contains("labeltype_y.npy") && Contains("dtype int64, expected uint8"));
  write_case(dir, "mismatch", image, at::zeros({1, 2, 3, 4}, at::kByte));
  REQUIRE_THROWS_WITH(load("mismatch"), Contains("mismatch_y.npy") &&
                                            Contains("label shape [1, 2, 3, 4]") &&
                                            Contains("[4, 2, 3, 3]"));
  write_case(dir, "rank", image, at::zeros({2, 3, 3}, at::kByte));
  REQUIRE_THROWS_WITH(load("rank"), Contains("rank_y.npy") && Contains("expected (1, D, H, W)"));
  REQUIRE_THROWS_WITH(load("absent"), Contains("absent_x.npy"));
}
