// Geometry in voxels (1 mm isotropic). The brain is an ellipsoid; "u" is the position in its
// normalised frame (|u| < 1 inside). The tumour's regions are nested shells sized so that every
// 6-neighbour of a label-2 voxel is tumour core (2 or 3) and every 6-neighbour of a core voxel
// is tumour (1, 2 or 3).
#include "segbench/prep/brats_synthetic.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numbers>
#include <ostream>
#include <random>

#include "segbench/error.hpp"
#include "segbench/io/atomic_file.hpp"

namespace segbench::prep {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kModalities = 4;

/// Uniform and normal variates from raw mt19937_64 output, identical on every standard library.
class SynthRng {
 public:
  explicit SynthRng(std::uint64_t seed) : engine_(seed) {}
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double u1 = 1.0 - uniform();  // (0, 1]
    const double angle = 2.0 * std::numbers::pi * uniform();
    const double radius = std::sqrt(-2.0 * std::log(u1));
    spare_ = radius * std::sin(angle);
    has_spare_ = true;
    return radius * std::cos(angle);
  }

 private:
  std::mt19937_64 engine_;
  bool has_spare_ = false;
  double spare_ = 0.0;
};

std::uint64_t splitmix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

struct Vec3 {
  double x = 0, y = 0, z = 0;
};
double dot(const Vec3& a, const Vec3& b) {
  return a.x * b.x + a.y * b.y + a.z * b.z;
}
double norm(const Vec3& a) {
  return std::sqrt(dot(a, a));
}

Vec3 random_direction(SynthRng& rng) {
  for (;;) {
    const Vec3 v{rng.normal(), rng.normal(), rng.normal()};
    const double n = norm(v);
    if (n > 1e-6) return {v.x / n, v.y / n, v.z / n};
  }
}

enum Tissue { kWhiteMatter, kGreyMatter, kCsf, kEdema, kNonEnhancing, kEnhancing, kTissues };

/// Intensity relative to white matter, per tissue and modality (FLAIR, T1w, T1gd, T2w):
/// edema is bright on FLAIR and T2, the enhancing ring on T1gd, CSF dark on FLAIR and T1.
constexpr double kContrast[kTissues][kModalities] = {
    {1.00, 1.00, 1.00, 1.00},  // white matter
    {1.20, 0.80, 0.80, 1.35},  // grey matter
    {0.30, 0.35, 0.35, 2.20},  // CSF
    {1.80, 0.75, 0.78, 1.90},  // edema
    {1.40, 0.60, 0.62, 2.00},  // non-enhancing / necrotic core
    {1.50, 0.85, 2.10, 1.50},  // enhancing tumour
};
/// White-matter intensity per modality (arbitrary MR units), before the per-case gain.
constexpr double kWhiteMatterLevel[kModalities] = {350.0, 550.0, 600.0, 500.0};

// The tumour's regions are thresholds of one level function: the distance from its centre in
// a frame stretched along the brain's longer axes, divided by a lobulation factor. Irregularity
// grows with the tumour (small tumours stay round), and between 6-neighbours the level changes
// by at most step_bound(); nested boundaries are kept further apart than that.
constexpr double kLobulation[2] = {0.06, 0.04};  // amplitudes of cos(2·), cos(3·) at full size
constexpr double kEdemaWobble = 0.08;            // amplitude of the edema's own cos(2·)
constexpr double kFullIrregularity = 40.0;       // brain radius (voxels) at full irregularity
constexpr double kMaxStretch = 1.6;
constexpr double kMinCentreRadius = 1.2;  // > sqrt(3)/2: always holds a voxel centre

struct Tumour {
  Vec3 centre;
  Vec3 stretch;         // >= 1 per axis: one voxel step moves the level by <= 1 before lobes
  double irregularity;  // 0..1, scales the lobulation and wobble amplitudes
  Vec3 lobe_axis[2];
  double lobe_phase[2];
  Vec3 edema_axis;
  double edema_phase;
  double r_centre, r_core, r_edema;

  double lobes_min() const { return 1.0 - irregularity * (kLobulation[0] + kLobulation[1]); }
  double wobble_min() const { return 1.0 - irregularity * kEdemaWobble; }
  /// Edema extent / r_edema in the stretched frame.
  double reach() const { return (2.0 - lobes_min()) * (1.0 + irregularity * kEdemaWobble); }
  /// |grad level| <= (1 + r·|grad f|) / f_min with |d f / d dir| <= sum(amplitude · frequency).
  double step_bound() const {
    const double slope = irregularity * (2.0 * kLobulation[0] + 3.0 * kLobulation[1]);
    return (1.0 + slope / lobes_min()) / lobes_min();
  }

  /// 0 outside, else the label (1 edema, 2 non-enhancing, 3 enhancing).
  int label_at(const Vec3& q) const {
    const Vec3 d{(q.x - centre.x) / stretch.x, (q.y - centre.y) / stretch.y,
                 (q.z - centre.z) / stretch.z};
    const double distance = norm(d);
    if (distance > reach() * r_edema) return 0;
    if (distance == 0.0) return 2;
    const Vec3 dir{d.x / distance, d.y / distance, d.z / distance};
    const double lobes =
        1.0 +
        irregularity * (kLobulation[0] * std::cos(2.0 * dot(lobe_axis[0], dir) + lobe_phase[0]) +
                        kLobulation[1] * std::cos(3.0 * dot(lobe_axis[1], dir) + lobe_phase[1]));
    const double level = distance / lobes;
    if (level < r_centre) return 2;
    if (level < r_core) return 3;
    const double wobble =
        1.0 + irregularity * kEdemaWobble * std::cos(2.0 * dot(edema_axis, dir) + edema_phase);
    return level < r_edema * wobble ? 1 : 0;
  }
};

struct Brain {
  Vec3 centre, semi;
  double fold_phase[3];
  Vec3 ventricle_offset;  // of the right ventricle, in the normalised frame (left: mirrored x)
  double gain[kModalities];
  double bias_phase[kModalities][3];
  Tumour tumour;
};

Brain draw_brain(const BratsSynthOptions& o, SynthRng& rng) {
  const double nx = static_cast<double>(o.shape[0]), ny = static_cast<double>(o.shape[1]),
               nz = static_cast<double>(o.shape[2]);
  Brain b{};
  b.semi = {0.30 * nx * rng.uniform(0.93, 1.0), 0.36 * ny * rng.uniform(0.93, 1.0),
            0.40 * nz * rng.uniform(0.93, 1.0)};
  b.centre = {0.5 * nx + rng.uniform(-0.03, 0.03) * nx, 0.5 * ny + rng.uniform(-0.03, 0.03) * ny,
              0.5 * nz + rng.uniform(-0.02, 0.02) * nz};
  for (double& phase : b.fold_phase) phase = rng.uniform(0.0, 2.0 * std::numbers::pi);
  b.ventricle_offset = {rng.uniform(0.10, 0.15), rng.uniform(-0.1, 0.0), rng.uniform(0.05, 0.15)};
  for (std::size_t m = 0; m < kModalities; ++m) {
    b.gain[m] = rng.uniform(0.8, 1.25);
    for (double& phase : b.bias_phase[m]) phase = rng.uniform(0.0, 2.0 * std::numbers::pi);
  }

  const double s = std::min({b.semi.x, b.semi.y, b.semi.z});
  Tumour& t = b.tumour;
  t.irregularity = std::min(1.0, s / kFullIrregularity);
  // Stretch <= semi / s keeps the argument below: in the brain's normalised frame the tumour
  // lies within reach·r_edema / s of its centre.
  t.stretch = {std::min(kMaxStretch, b.semi.x / s), std::min(kMaxStretch, b.semi.y / s),
               std::min(kMaxStretch, b.semi.z / s)};
  const double shell = t.step_bound() + 0.3;  // voxels between nested boundaries
  t.r_edema = rng.uniform(0.33, 0.5) * s;
  t.r_core = std::min(t.r_edema * rng.uniform(0.5, 0.7), t.wobble_min() * t.r_edema - shell);
  t.r_centre = std::min(t.r_core * rng.uniform(0.45, 0.65), t.r_core - shell);
  if (t.r_centre < kMinCentreRadius) {  // small volumes: grow outwards from the minimum centre
    t.r_centre = kMinCentreRadius;
    t.r_core = std::max(t.r_core, t.r_centre + shell);
    t.r_edema = std::max(t.r_edema, (t.r_core + shell) / t.wobble_min());
  }
  SEGBENCH_CHECK(t.reach() * t.r_edema <= s, ConfigError,
                 "synthetic BraTS: shape ({}, {}, {}) is too small for a brain holding all three "
                 "tumour regions (expected every axis >= 24 voxels)",
                 o.shape[0], o.shape[1], o.shape[2]);
  // A ball of radius (1 - offset) around a point at normalised offset lies inside the brain.
  const double offset = rng.uniform(0.0, std::min(0.4, 1.0 - t.reach() * t.r_edema / s));
  const Vec3 towards = random_direction(rng);
  t.centre = {b.centre.x + offset * towards.x * b.semi.x,
              b.centre.y + offset * towards.y * b.semi.y,
              b.centre.z + offset * towards.z * b.semi.z};
  for (int k = 0; k < 2; ++k) {
    t.lobe_axis[k] = random_direction(rng);
    t.lobe_phase[k] = rng.uniform(0.0, 2.0 * std::numbers::pi);
  }
  t.edema_axis = random_direction(rng);
  t.edema_phase = rng.uniform(0.0, 2.0 * std::numbers::pi);
  return b;
}

Tissue brain_tissue(const Brain& b, const Vec3& u, double radius) {
  for (double side : {1.0, -1.0}) {  // two ventricles, mirrored left/right
    const double vx = (u.x - side * b.ventricle_offset.x) / 0.07;
    const double vy = (u.y - b.ventricle_offset.y) / 0.30;
    const double vz = (u.z - b.ventricle_offset.z) / 0.14;
    if (vx * vx + vy * vy + vz * vz < 1.0) return kCsf;
  }
  const double folds = std::sin(9.0 * u.x + b.fold_phase[0]) *
                       std::sin(9.0 * u.y + b.fold_phase[1]) *
                       std::sin(9.0 * u.z + b.fold_phase[2]);
  return radius > 0.80 + 0.07 * folds ? kGreyMatter : kWhiteMatter;
}

void check_shape_and_noise(const BratsSynthOptions& o) {
  for (std::size_t axis = 0; axis < 3; ++axis) {
    SEGBENCH_CHECK(o.shape[axis] >= 24, ConfigError,
                   "synthetic BraTS: expected every shape axis >= 24, found {} on axis {}",
                   o.shape[axis], axis);
  }
  SEGBENCH_CHECK(o.noise >= 0.0, ConfigError, "synthetic BraTS: expected noise >= 0, found {}",
                 o.noise);
}

std::string case_name(int id) {
  return fmt::format("BRATS_{:03d}", id);
}

}  // namespace

const std::vector<std::string>& brats_modality_names() {
  static const std::vector<std::string> names{"FLAIR", "T1w", "t1gd", "T2w"};
  return names;
}

const std::vector<std::string>& brats_label_names() {
  static const std::vector<std::string> names{"background", "edema", "non-enhancing tumor",
                                              "enhancing tumour"};
  return names;
}

BratsSynthCase make_brats_synthetic_case(const BratsSynthOptions& o, int index) {
  check_shape_and_noise(o);
  SynthRng rng(splitmix(o.seed ^ splitmix(static_cast<std::uint64_t>(index) + 1)));
  const Brain b = draw_brain(o, rng);

  const std::size_t nx = o.shape[0], ny = o.shape[1], nz = o.shape[2];
  // A smooth multiplicative bias field per modality, separable so it costs nothing per voxel.
  std::vector<double> bias[kModalities][3];
  const std::size_t extent[3] = {nx, ny, nz};
  const double centre[3] = {b.centre.x, b.centre.y, b.centre.z};
  const double semi[3] = {b.semi.x, b.semi.y, b.semi.z};
  for (std::size_t m = 0; m < kModalities; ++m)
    for (std::size_t a = 0; a < 3; ++a) {
      bias[m][a].resize(extent[a]);
      for (std::size_t i = 0; i < extent[a]; ++i) {
        const double u = (static_cast<double>(i) - centre[a]) / semi[a];
        bias[m][a][i] = 0.04 * std::sin(1.8 * u + b.bias_phase[m][a]);
      }
    }

  BratsSynthCase result;
  result.image.shape = {nx, ny, nz, kModalities};
  result.label.shape = {nx, ny, nz};
  result.image.spacing = result.label.spacing = {1.0, 1.0, 1.0};
  result.image.datatype = 16;  // float32
  result.label.datatype = 2;   // uint8
  result.image.data.assign(nx * ny * nz * kModalities, 0.0f);
  result.label.data.assign(nx * ny * nz, 0.0f);

  std::size_t voxel = 0;
  for (std::size_t x = 0; x < nx; ++x)
    for (std::size_t y = 0; y < ny; ++y)
      for (std::size_t z = 0; z < nz; ++z, ++voxel) {
        const Vec3 q{static_cast<double>(x), static_cast<double>(y), static_cast<double>(z)};
        const Vec3 u{(q.x - b.centre.x) / b.semi.x, (q.y - b.centre.y) / b.semi.y,
                     (q.z - b.centre.z) / b.semi.z};
        const double radius = norm(u);
        if (radius >= 1.0) continue;  // skull-stripped: background stays exactly 0
        const int label = b.tumour.label_at(q);
        const Tissue tissue = label == 1   ? kEdema
                              : label == 2 ? kNonEnhancing
                              : label == 3 ? kEnhancing
                                           : brain_tissue(b, u, radius);
        result.label.data[voxel] = static_cast<float>(label);
        for (std::size_t m = 0; m < kModalities; ++m) {
          const double level = kWhiteMatterLevel[m] * b.gain[m];
          const double field = 1.0 + bias[m][0][x] + bias[m][1][y] + bias[m][2][z];
          const double value = level * (kContrast[tissue][m] * field + o.noise * rng.normal());
          result.image.data[voxel * kModalities + m] =
              static_cast<float>(std::max(value, 0.01 * level));  // brain stays > 0
        }
      }
  return result;
}

fs::path write_brats_synthetic(const fs::path& out_dir, const BratsSynthOptions& o,
                               std::ostream* progress) {
  SEGBENCH_CHECK(o.cases >= 1, ConfigError, "synthetic BraTS: expected at least 1 case, found {}",
                 o.cases);
  SEGBENCH_CHECK(o.test_cases >= 0, ConfigError,
                 "synthetic BraTS: expected test_cases >= 0, found {}", o.test_cases);
  SEGBENCH_CHECK(o.first_case_id >= 0 && o.first_case_id + o.cases + o.test_cases <= 1000,
                 ConfigError, "synthetic BraTS: case ids {}..{} do not fit BRATS_XXX",
                 o.first_case_id, o.first_case_id + o.cases + o.test_cases - 1);
  check_shape_and_noise(o);
  const fs::path task = out_dir / "Task01_BrainTumour";
  fs::create_directories(task / "imagesTr");
  fs::create_directories(task / "labelsTr");
  if (o.test_cases > 0) fs::create_directories(task / "imagesTs");

  nlohmann::ordered_json doc;
  doc["name"] = "BRATS";
  doc["description"] = "Synthetic gliomas (segbench brats-synth), MSD Task01 layout";
  doc["tensorImageSize"] = "4D";
  for (std::size_t m = 0; m < brats_modality_names().size(); ++m)
    doc["modality"][std::to_string(m)] = brats_modality_names()[m];
  for (std::size_t l = 0; l < brats_label_names().size(); ++l)
    doc["labels"][std::to_string(l)] = brats_label_names()[l];
  doc["numTraining"] = o.cases;
  doc["numTest"] = o.test_cases;
  doc["training"] = nlohmann::ordered_json::array();
  doc["test"] = nlohmann::ordered_json::array();

  for (int index = 0; index < o.cases + o.test_cases; ++index) {
    const bool training = index < o.cases;
    const BratsSynthCase c = make_brats_synthetic_case(o, index);
    const std::string file = case_name(o.first_case_id + index) + ".nii.gz";
    const std::string image_rel = (training ? "./imagesTr/" : "./imagesTs/") + file;
    io::write_nifti(task / image_rel, c.image.shape, c.image.spacing, c.image.data,
                    io::NiftiStorage::float32);
    if (training) {
      const std::string label_rel = "./labelsTr/" + file;
      io::write_nifti(task / label_rel, c.label.shape, c.label.spacing, c.label.data,
                      io::NiftiStorage::uint8);
      doc["training"].push_back({{"image", image_rel}, {"label", label_rel}});
    } else {
      doc["test"].push_back(image_rel);
    }
    if (progress != nullptr) {
      std::size_t counts[4] = {};
      for (float v : c.label.data) ++counts[static_cast<int>(v)];
      fmt::print(*progress,
                 "{}: shape ({}, {}, {}, 4){} edema {}, non-enhancing {}, enhancing {} "
                 "voxels\n",
                 (task / image_rel).lexically_normal().string(), o.shape[0], o.shape[1], o.shape[2],
                 training ? "" : " (test)", counts[1], counts[2], counts[3]);
    }
  }
  io::write_text_atomically(task / "dataset.json", doc.dump(4) + "\n");
  if (progress != nullptr) {
    fmt::print(*progress, "wrote {} training and {} test case(s) and {}\n", o.cases, o.test_cases,
               (task / "dataset.json").string());
  }
  return task;
}

}  // namespace segbench::prep
