// Geometry is laid out in millimetres around the volume centre, so anatomy scales with the
// field of view; z is the slice axis (D), y the rows (H, posterior positive), x the columns (W).
#include "segbench/prep/kits19_synthetic.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numbers>
#include <ostream>
#include <random>

#include "segbench/error.hpp"
#include "segbench/io/atomic_file.hpp"

namespace segbench::prep {
namespace {

namespace fs = std::filesystem;

/// Uniform and normal variates from raw mt19937_64 output, identical on every standard library.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : engine_(seed) {}
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double u1 = 1.0 - uniform();  // (0, 1]
    const double u2 = uniform();
    const double radius = std::sqrt(-2.0 * std::log(u1));
    spare_ = radius * std::sin(2.0 * std::numbers::pi * u2);
    has_spare_ = true;
    return radius * std::cos(2.0 * std::numbers::pi * u2);
  }

 private:
  std::mt19937_64 engine_;
  bool has_spare_ = false;
  double spare_ = 0.0;
};

std::uint64_t mix(std::uint64_t x) {  // splitmix64 finaliser
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

struct Vec3 {
  double z, y, x;
};

/// Ellipsoid with semi-axes (a.z, a.y, a.x), rotated by `angle` in the axial (y, x) plane.
struct Ellipsoid {
  Vec3 centre;
  Vec3 semi;
  double angle = 0.0;

  double level(const Vec3& p) const {  // < 1 inside
    const double dz = p.z - centre.z, dy = p.y - centre.y, dx = p.x - centre.x;
    const double c = std::cos(angle), s = std::sin(angle);
    const double ly = c * dy + s * dx, lx = -s * dy + c * dx;
    return (dz * dz) / (semi.z * semi.z) + (ly * ly) / (semi.y * semi.y) +
           (lx * lx) / (semi.x * semi.x);
  }
  bool contains(const Vec3& p) const { return level(p) < 1.0; }
  Ellipsoid grown(double mm) const {
    return {centre, {semi.z + mm, semi.y + mm, semi.x + mm}, angle};
  }
  /// The point at `fraction` of the way from the centre to the surface along local direction d.
  Vec3 towards(Vec3 d, double fraction) const {
    const double norm = std::sqrt(d.z * d.z + d.y * d.y + d.x * d.x);
    d = {d.z / norm * semi.z, d.y / norm * semi.y, d.x / norm * semi.x};
    const double c = std::cos(angle), s = std::sin(angle);
    return {centre.z + fraction * d.z, centre.y + fraction * (c * d.y - s * d.x),
            centre.x + fraction * (s * d.y + c * d.x)};
  }
};

struct Anatomy {
  double body_y, body_x, body_cy, body_cx;  // elliptical body cross-section
  Ellipsoid liver;
  double spine_y, spine_radius;
  Ellipsoid kidneys[2];
  Ellipsoid tumour;
  float kidney_hu, tumour_hu, soft_hu;
};

Anatomy draw_anatomy(const Kits19SynthOptions& o, Rng& rng) {
  const double ez = 0.5 * static_cast<double>(o.shape[0]) * o.spacing[0];
  const double ey = 0.5 * static_cast<double>(o.shape[1]) * o.spacing[1];
  const double ex = 0.5 * static_cast<double>(o.shape[2]) * o.spacing[2];
  const double s = std::min(ey, ex);
  Anatomy a{};
  a.body_y = 0.80 * ey * rng.uniform(0.93, 1.0);
  a.body_x = 0.92 * ex * rng.uniform(0.93, 1.0);
  a.body_cy = rng.uniform(-0.03, 0.03) * ey;
  a.body_cx = rng.uniform(-0.03, 0.03) * ex;
  a.liver = {{0.35 * ez, a.body_cy - 0.15 * a.body_y, a.body_cx - 0.45 * a.body_x},
             {0.6 * ez, 0.35 * a.body_y, 0.3 * a.body_x},
             rng.uniform(-0.2, 0.2)};
  a.spine_y = a.body_cy + 0.55 * a.body_y;
  a.spine_radius = 0.13 * std::min(a.body_y, a.body_x);
  for (int side = 0; side < 2; ++side) {
    const double sign = side == 0 ? -1.0 : 1.0;
    a.kidneys[side] = {
        {rng.uniform(-0.15, 0.15) * ez, a.body_cy + 0.25 * a.body_y * rng.uniform(0.8, 1.2),
         a.body_cx + sign * 0.47 * a.body_x * rng.uniform(0.92, 1.05)},
        {std::min(0.5 * ez, 0.7 * s) * rng.uniform(0.9, 1.1), 0.28 * s * rng.uniform(0.9, 1.1),
         0.22 * s * rng.uniform(0.9, 1.1)},
        sign * rng.uniform(0.1, 0.45)};
  }
  const int host = rng.uniform() < 0.5 ? 0 : 1;
  const double outward = host == 0 ? -1.0 : 1.0;
  const Ellipsoid& kidney = a.kidneys[host];
  const Vec3 direction{rng.uniform(-0.5, 0.5), rng.uniform(-1.0, 1.0),
                       outward * rng.uniform(0.2, 1.0)};
  const double radius = s * rng.uniform(0.25, 0.30);
  a.tumour = {kidney.towards(direction, rng.uniform(0.45, 0.75)), {radius, radius, radius}, 0.0};
  a.kidney_hu = static_cast<float>(rng.uniform(synth_hu::kidney_min, synth_hu::kidney_max));
  a.tumour_hu = static_cast<float>(rng.uniform(synth_hu::tumour_min, synth_hu::tumour_max));
  a.soft_hu = static_cast<float>(rng.uniform(35.0, 45.0));
  return a;
}

}  // namespace

SynthCase make_kits19_synthetic_case(const Kits19SynthOptions& o, int index) {
  for (std::size_t axis = 0; axis < 3; ++axis) {
    SEGBENCH_CHECK(o.shape[axis] >= 8, ConfigError,
                   "synthetic KiTS19: expected every shape axis >= 8, found {} on axis {}",
                   o.shape[axis], axis);
    SEGBENCH_CHECK(o.spacing[axis] > 0, ConfigError,
                   "synthetic KiTS19: expected positive spacing, found {} on axis {}",
                   o.spacing[axis], axis);
  }
  SEGBENCH_CHECK(o.noise_hu >= 0, ConfigError, "synthetic KiTS19: expected noise >= 0, found {}",
                 o.noise_hu);
  Rng rng(mix(o.seed ^ mix(static_cast<std::uint64_t>(index) + 1)));
  const Anatomy a = draw_anatomy(o, rng);
  const Ellipsoid perirenal[2] = {a.kidneys[0].grown(4.0), a.kidneys[1].grown(4.0)};

  const std::size_t nz = o.shape[0], ny = o.shape[1], nx = o.shape[2];
  SynthCase result;
  for (io::NiftiVolume* v : {&result.image, &result.label}) {
    v->shape = {nz, ny, nx};
    v->spacing = o.spacing;
    v->data.assign(nz * ny * nx, 0.0f);
  }
  result.image.datatype = 4;  // int16
  result.label.datatype = 2;  // uint8

  std::size_t flat = 0;
  for (std::size_t k = 0; k < nz; ++k) {
    for (std::size_t j = 0; j < ny; ++j) {
      for (std::size_t i = 0; i < nx; ++i, ++flat) {
        const Vec3 p{(static_cast<double>(k) + 0.5 - 0.5 * static_cast<double>(nz)) * o.spacing[0],
                     (static_cast<double>(j) + 0.5 - 0.5 * static_cast<double>(ny)) * o.spacing[1],
                     (static_cast<double>(i) + 0.5 - 0.5 * static_cast<double>(nx)) * o.spacing[2]};
        const double by = (p.y - a.body_cy) / a.body_y, bx = (p.x - a.body_cx) / a.body_x;
        const double body = by * by + bx * bx;
        float hu = synth_hu::air;
        std::uint8_t label = 0;
        if (body < 1.0) {
          hu = body > 0.85 * 0.85 ? synth_hu::fat : a.soft_hu;
          if (a.liver.contains(p)) hu = synth_hu::liver;
          if (perirenal[0].contains(p) || perirenal[1].contains(p)) hu = synth_hu::fat;
          const double sy = p.y - a.spine_y, sx = p.x - a.body_cx;
          if (sy * sy + sx * sx < a.spine_radius * a.spine_radius) hu = synth_hu::bone;
          if (a.kidneys[0].contains(p) || a.kidneys[1].contains(p)) {
            hu = a.kidney_hu;
            label = 1;
          }
          if (a.tumour.contains(p)) {
            hu = a.tumour_hu;
            label = 2;
          }
        }
        const double noisy = hu + o.noise_hu * rng.normal();
        result.image.data[flat] =
            static_cast<float>(std::clamp(std::nearbyint(noisy), -1024.0, 3071.0));
        result.label.data[flat] = label;
      }
    }
  }
  return result;
}

std::vector<fs::path> write_kits19_synthetic(const fs::path& out_dir, const Kits19SynthOptions& o,
                                             std::ostream* progress) {
  SEGBENCH_CHECK(o.cases >= 1, ConfigError, "synthetic KiTS19: expected at least 1 case, found {}",
                 o.cases);
  SEGBENCH_CHECK(o.first_case_id >= 0 && o.first_case_id + o.cases <= 100000, ConfigError,
                 "synthetic KiTS19: case ids {}..{} do not fit 5 digits", o.first_case_id,
                 o.first_case_id + o.cases - 1);
  fs::create_directories(out_dir);
  {
    io::write_text_atomically(out_dir / kKits19SyntheticMarker,
                              fmt::format("{{\"generator\": \"segbench-data kits19-synth\", "
                                          "\"seed\": {}, \"first_id\": {}, \"cases\": {}}}\n",
                                          o.seed, o.first_case_id, o.cases));
  }
  std::vector<fs::path> dirs;
  for (int index = 0; index < o.cases; ++index) {
    const SynthCase c = make_kits19_synthetic_case(o, index);
    const fs::path dir = out_dir / fmt::format("case_{:05d}", o.first_case_id + index);
    fs::create_directories(dir);
    io::write_nifti(dir / "imaging.nii.gz", c.image.shape, c.image.spacing, c.image.data,
                    io::NiftiStorage::int16);
    io::write_nifti(dir / "segmentation.nii.gz", c.label.shape, c.label.spacing, c.label.data,
                    io::NiftiStorage::uint8);
    if (progress != nullptr) {
      std::size_t kidney = 0, tumour = 0;
      for (float v : c.label.data) {
        kidney += v == 1.0f;
        tumour += v == 2.0f;
      }
      fmt::print(*progress, "{}: shape ({}, {}, {}) kidney {} voxels, tumour {} voxels\n",
                 dir.string(), o.shape[0], o.shape[1], o.shape[2], kidney, tumour);
    }
    dirs.push_back(dir);
  }
  return dirs;
}

}  // namespace segbench::prep
