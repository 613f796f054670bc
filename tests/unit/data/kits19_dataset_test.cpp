#include "segbench/data/kits19_dataset.hpp"

#include "segbench/data/npy_tensor.hpp"
#include "segbench/error.hpp"
#include "segbench/io/npy.hpp"
#include "support/scratch_dir.hpp"

#include "catch_torch.hpp"

#include <ATen/Parallel.h>

#include <array>
#include <limits>
#include <thread>

using namespace segbench;

namespace {

CaseFiles write_case(const test::ScratchDir& dir, const std::string& case_id,
                     const at::Tensor& image, const at::Tensor& label) {
  CaseFiles files{case_id, dir / (case_id + "_x.npy"), dir / (case_id + "_y.npy")};
  write_npy_tensor(files.image, image);
  write_npy_tensor(files.label, label);
  return files;
}

}  // namespace

TEST_CASE("npy tensors: every supported dtype round-trips with its values", "[data]") {
  at::set_num_threads(1);
  test::ScratchDir dir("npytensor");
  for (const auto dtype :
       {at::kFloat, at::kDouble, at::kByte, at::kChar, at::kShort, at::kInt, at::kLong}) {
    const at::Tensor original = at::arange(-3, 21).reshape({2, 3, 4}).to(dtype);
    write_npy_tensor(dir / "t.npy", original);
    const at::Tensor back = read_npy_tensor(dir / "t.npy");
    REQUIRE(back.scalar_type() == dtype);
    REQUIRE(at::equal(back, original));
  }
  const at::Tensor strided = at::arange(12, at::kFloat).reshape({3, 4}).t();  // not contiguous
  write_npy_tensor(dir / "s.npy", strided);
  REQUIRE(at::equal(read_npy_tensor(dir / "s.npy"), strided));
  const at::Tensor flags = at::tensor({1, 0, 1}).to(at::kBool);
  write_npy_tensor(dir / "b.npy", flags);
  REQUIRE(at::equal(read_npy_tensor(dir / "b.npy"), flags));
}

TEST_CASE("npy tensors: uint16 is widened to int32; float16 cannot be written", "[data]") {
  test::ScratchDir dir("npyu16");
  const std::array<std::uint16_t, 3> values{0, 40000, 65535};
  const std::array<std::size_t, 1> shape{3};
  io::write_npy(dir / "u.npy", io::NpyDtype::uint16, shape, values.data());
  const at::Tensor widened = read_npy_tensor(dir / "u.npy");
  REQUIRE(widened.scalar_type() == at::kInt);
  REQUIRE(widened[1].item<int>() == 40000);
  REQUIRE(widened[2].item<int>() == 65535);

  REQUIRE_THROWS_WITH(write_npy_tensor(dir / "h.npy", at::ones({2}, at::kHalf)),
                      Catch::Contains((dir / "h.npy").string()) && Catch::Contains("Half"));
}

TEST_CASE("Kits19Dataset: get returns float32 image and uint8 label of the case", "[data]") {
  test::ScratchDir dir("dataset");
  const at::Tensor image = at::randn({1, 3, 4, 5});
  const at::Tensor label = at::randint(0, 3, {1, 3, 4, 5}).to(at::kByte);
  std::vector<CaseFiles> cases{write_case(dir, "case_00004", image, label),
                               write_case(dir, "case_00008", image.mul(2.0), label)};
  for (const bool cached : {false, true}) {
    const Kits19Dataset dataset(cases, cached);
    REQUIRE(dataset.size() == 2);
    REQUIRE(dataset.case_id(1) == "case_00008");
    const Sample s = dataset.get(1);
    REQUIRE(s.case_id == "case_00008");
    REQUIRE(s.image.scalar_type() == at::kFloat);
    REQUIRE(s.label.scalar_type() == at::kByte);
    REQUIRE(at::equal(s.image, image.mul(2.0)));
    REQUIRE(at::equal(s.label, label));
    const bool shared = dataset.get(1).image.data_ptr() == s.image.data_ptr();
    REQUIRE(shared == cached);
  }
  REQUIRE_THROWS_WITH(Kits19Dataset(cases).get(2), Catch::Contains("index 2 out of range"));
}

TEST_CASE("Kits19Dataset: the cache is safe under concurrent get()", "[data]") {
  test::ScratchDir dir("datasetthreads");
  std::vector<CaseFiles> cases;
  for (int i = 0; i < 4; ++i)
    cases.push_back(write_case(dir, fmt::format("case_{:05d}", i),
                               at::full({1, 2, 2, 2}, static_cast<float>(i)),
                               at::zeros({1, 2, 2, 2}, at::kByte)));
  const Kits19Dataset dataset(cases, true);
  std::vector<std::thread> threads;
  std::array<std::array<const void*, 4>, 4> pointers{};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int round = 0; round < 20; ++round)
        for (std::size_t i = 0; i < 4; ++i)
          pointers[t][i] = dataset.get((i + t) % 4).image.data_ptr();
    });
  for (auto& thread : threads) thread.join();
  for (std::size_t i = 0; i < 4; ++i) {
    REQUIRE(dataset.get(i).image[0][1][1][1].item<float>() == static_cast<float>(i));
    for (int t = 0; t < 4; ++t)
      REQUIRE(pointers[t][(i + 4 - t) % 4] == dataset.get(i).image.data_ptr());
  }
}

TEST_CASE("Kits19Dataset: wrong dtype, rank or mismatched shapes name the files", "[data]") {
  test::ScratchDir dir("datasetbad");
  const auto label = at::zeros({1, 3, 4, 5}, at::kByte);

  const CaseFiles mismatch = write_case(dir, "case_00011", at::zeros({1, 3, 4, 6}), label);
  REQUIRE_THROWS_AS(Kits19Dataset({mismatch}).get(0), DataError);
  REQUIRE_THROWS_WITH(Kits19Dataset({mismatch}).get(0),
                      Catch::Contains("case_00011") &&
                          Catch::Contains(mismatch.image.string() + " has shape [1, 3, 4, 6]") &&
                          Catch::Contains(mismatch.label.string() + " has shape [1, 3, 4, 5]"));

  const CaseFiles doubles =
      write_case(dir, "case_00012", at::zeros({1, 3, 4, 5}, at::kDouble), label);
  REQUIRE_THROWS_WITH(Kits19Dataset({doubles}).get(0),
                      Catch::Contains(doubles.image.string()) &&
                          Catch::Contains("dtype float64, expected float32"));

  const CaseFiles labels_int =
      write_case(dir, "case_00013", at::zeros({1, 3, 4, 5}), label.to(at::kInt));
  REQUIRE_THROWS_WITH(
      Kits19Dataset({labels_int}).get(0),
      Catch::Contains(labels_int.label.string()) && Catch::Contains("dtype int32, expected uint8"));

  const CaseFiles two_channels =
      write_case(dir, "case_00014", at::zeros({2, 3, 4, 5}), at::zeros({2, 3, 4, 5}, at::kByte));
  REQUIRE_THROWS_WITH(Kits19Dataset({two_channels}).get(0),
                      Catch::Contains("shape [2, 3, 4, 5], expected (1, D, H, W)"));

  const CaseFiles missing{"case_00015", dir / "nope_x.npy", dir / "nope_y.npy"};
  REQUIRE_THROWS_WITH(Kits19Dataset({missing}).get(0), Catch::Contains("nope_x.npy"));
}

TEST_CASE("Kits19Dataset: a NaN or infinity in an image is an error naming the file", "[data]") {
  test::ScratchDir dir("datasetnan");
  const auto label = at::zeros({1, 3, 4, 5}, at::kByte);
  at::Tensor image = at::zeros({1, 3, 4, 5});
  image.view(-1)[7] = std::numeric_limits<float>::quiet_NaN();
  image.view(-1)[9] = std::numeric_limits<float>::infinity();
  const CaseFiles bad = write_case(dir, "case_00021", image, label);
  REQUIRE_THROWS_WITH(Kits19Dataset({bad}).get(0),
                      Catch::Contains(bad.image.string()) &&
                          Catch::Contains("holds 1 NaN and 1 infinite values") &&
                          Catch::Contains("flat index 7"));
}
