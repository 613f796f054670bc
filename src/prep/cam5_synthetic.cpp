// Event sizes are given in pixels of the reference 768x1152 grid (0.234 deg x 0.3125 deg) and
// scale with the grid, so class fractions do not depend on the resolution; event_scale widens
// them on purpose. At the default options the expected fractions are close to the reference's
// hard-coded frequencies (background 0.98627, cyclone 0.000458, river 0.01327).
#include "segbench/prep/cam5_synthetic.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <ostream>
#include <random>

#include "segbench/error.hpp"
#include "segbench/io/hdf5.hpp"

namespace segbench::prep {
namespace {

namespace fs = std::filesystem;

enum Channel : std::size_t {
  TMQ,
  U850,
  V850,
  UBOT,
  VBOT,
  QREFHT,
  PS,
  PSL,
  T200,
  T500,
  PRECT,
  TS,
  TREFHT,
  Z1000,
  Z200,
  ZBOT
};

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
    const double u1 = 1.0 - uniform();
    const double u2 = uniform();
    const double radius = std::sqrt(-2.0 * std::log(u1));
    spare_ = radius * std::sin(2.0 * std::numbers::pi * u2);
    has_spare_ = true;
    return radius * std::cos(2.0 * std::numbers::pi * u2);
  }
  int poisson(double mean) {  // Knuth; means here are small
    if (mean <= 0) return 0;
    const double limit = std::exp(-mean);
    int k = 0;
    for (double p = uniform(); p > limit; p *= uniform()) ++k;
    return k;
  }
  double sign() { return uniform() < 0.5 ? -1.0 : 1.0; }
  std::uint64_t bits() { return engine_(); }

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

constexpr double ln2 = std::numbers::ln2;

/// Smooth noise of about unit variance: a coarse lattice of normals (periodic in longitude),
/// interpolated with Catmull-Rom splines, separably (columns first, then rows).
std::vector<float> smooth_noise(Rng& rng, std::size_t h, std::size_t w, std::size_t cells_y,
                                std::size_t cells_x) {
  const std::size_t lat_nodes = cells_y + 3;  // one extra node beyond each pole edge
  std::vector<double> lattice(lat_nodes * cells_x);
  for (double& v : lattice) v = rng.normal();
  const auto spline = [](double p0, double p1, double p2, double p3, double t) {
    return p1 + 0.5 * t *
                    (p2 - p0 +
                     t * (2.0 * p0 - 5.0 * p1 + 4.0 * p2 - p3 + t * (3.0 * (p1 - p2) + p3 - p0)));
  };
  std::vector<double> rows(lat_nodes * w);  // lattice rows interpolated along longitude
  for (std::size_t r = 0; r < lat_nodes; ++r) {
    for (std::size_t i = 0; i < w; ++i) {
      const double x =
          (static_cast<double>(i) + 0.5) * static_cast<double>(cells_x) / static_cast<double>(w);
      const auto cell = static_cast<std::size_t>(x);
      const double t = x - static_cast<double>(cell);
      const auto at = [&](std::size_t k) { return lattice[r * cells_x + (k % cells_x)]; };
      rows[r * w + i] = spline(at(cell + cells_x - 1), at(cell), at(cell + 1), at(cell + 2), t);
    }
  }
  std::vector<float> out(h * w);
  for (std::size_t j = 0; j < h; ++j) {
    const double y =
        (static_cast<double>(j) + 0.5) * static_cast<double>(cells_y) / static_cast<double>(h) +
        1.0;
    const auto cell = static_cast<std::size_t>(y);
    const double t = y - static_cast<double>(cell);
    for (std::size_t i = 0; i < w; ++i) {
      out[j * w + i] =
          static_cast<float>(0.85 * spline(rows[(cell - 1) * w + i], rows[cell * w + i],
                                           rows[(cell + 1) * w + i], rows[(cell + 2) * w + i], t));
    }
  }
  return out;
}

/// Two octaves of smooth noise; cell counts follow the grid's aspect (2:3).
std::vector<float> weather_noise(Rng& rng, std::size_t h, std::size_t w) {
  std::vector<float> coarse = smooth_noise(rng, h, w, 6, 9);
  const std::vector<float> fine = smooth_noise(rng, h, w, 16, 24);
  for (std::size_t k = 0; k < coarse.size(); ++k) coarse[k] = 0.85f * coarse[k] + 0.5f * fine[k];
  return coarse;
}

double gauss(double x) {
  return std::exp(-x * x);
}

/// A local perturbation painted over the pixels within `reach` (pixels) of (cy, cx),
/// wrapping in longitude and clipped at the poles.
template <class Paint>
void for_pixels_near(std::size_t h, std::size_t w, double cy, double cx, double reach,
                     Paint paint) {
  const long j0 = std::max(0L, static_cast<long>(std::floor(cy - reach)));
  const long j1 = std::min(static_cast<long>(h) - 1, static_cast<long>(std::ceil(cy + reach)));
  const long i0 = static_cast<long>(std::floor(cx - reach));
  const long i1 = static_cast<long>(std::ceil(cx + reach));
  const long width = static_cast<long>(w);
  if (i1 - i0 + 1 >= width) return;  // larger than the globe: not drawn
  for (long j = j0; j <= j1; ++j) {
    for (long i = i0; i <= i1; ++i) {
      const long wrapped = ((i % width) + width) % width;
      paint(static_cast<std::size_t>(j), static_cast<std::size_t>(wrapped),
            static_cast<double>(j) + 0.5 - cy, static_cast<double>(i) + 0.5 - cx);
    }
  }
}

class SampleBuilder {
 public:
  SampleBuilder(std::size_t h, std::size_t w)
      : h_(h), w_(w), grid_(static_cast<double>(h) / 768.0) {
    sample_.height = h;
    sample_.width = w;
    sample_.data.assign(h * w * cam5_channel_count, 0.0f);
    sample_.labels.assign(h * w, 0);
  }

  double lat(std::size_t j) const {
    return -90.0 + (static_cast<double>(j) + 0.5) * 180.0 / static_cast<double>(h_);
  }
  double row_of_lat(double lat_deg) const {
    return (lat_deg + 90.0) / 180.0 * static_cast<double>(h_);
  }
  double grid() const { return grid_; }
  std::size_t width() const { return w_; }

  float& at(std::size_t j, std::size_t i, std::size_t c) {
    return sample_.data[(j * w_ + i) * cam5_channel_count + c];
  }
  void add(std::size_t j, std::size_t i, std::size_t c, double v) {
    at(j, i, c) = static_cast<float>(at(j, i, c) + v);
  }
  std::int32_t& label(std::size_t j, std::size_t i) { return sample_.labels[j * w_ + i]; }

  void background(Rng& rng) {
    const std::vector<float> n_p = weather_noise(rng, h_, w_);
    const std::vector<float> n_t = weather_noise(rng, h_, w_);
    const std::vector<float> n_q = weather_noise(rng, h_, w_);
    const std::vector<float> n_u = weather_noise(rng, h_, w_);
    const std::vector<float> n_v = weather_noise(rng, h_, w_);
    const std::vector<float> n_r = weather_noise(rng, h_, w_);
    const std::vector<float> n_land = smooth_noise(rng, h_, w_, 5, 8);
    for (std::size_t j = 0; j < h_; ++j) {
      // Zonal-mean profiles of this latitude row.
      const double phi = lat(j);
      const double s2 = std::pow(std::sin(phi * std::numbers::pi / 180.0), 2);
      const double a = std::abs(phi);
      const double psl_mean = 101300.0 + 900.0 * gauss((a - 32.0) / 9.0) -
                              1400.0 * gauss((a - 62.0) / 9.0) - 200.0 * gauss(phi / 8.0);
      const double psl_spread = 900.0 * (0.3 + s2);
      const double tmq_mean = 3.0 + 50.0 * gauss(phi / 24.0);
      const double q_mean = 0.0015 + 0.017 * gauss(phi / 28.0);
      const double u_mean = -7.0 * gauss((a - 14.0) / 9.0) + 13.0 * gauss((a - 45.0) / 11.0);
      const double rain_mean = 2.5e-8 * (1.0 + 3.0 * gauss(phi / 9.0));
      for (std::size_t i = 0; i < w_; ++i) {
        const std::size_t k = j * w_ + i;
        const double land = std::max(0.0, static_cast<double>(n_land[k]) - 0.4);
        const double ts = 302.0 - 75.0 * s2 + 4.0 * n_t[k] - 6.0 * land * s2;
        at(j, i, TS) = static_cast<float>(ts);
        at(j, i, TREFHT) = static_cast<float>(ts - 1.2 - 1.5 * land);
        at(j, i, T500) = static_cast<float>(267.0 - 30.0 * s2 + 2.5 * n_t[k]);
        at(j, i, T200) = static_cast<float>(210.0 + 12.0 * s2 + 1.5 * n_t[k]);
        at(j, i, PSL) = static_cast<float>(psl_mean + psl_spread * n_p[k]);
        at(j, i, Z200) = static_cast<float>(12350.0 - 1400.0 * s2 + 60.0 * n_t[k]);
        const double moisture = std::max(0.02, 1.0 + 0.25 * n_q[k]);
        at(j, i, TMQ) = static_cast<float>(tmq_mean * moisture);
        at(j, i, QREFHT) = static_cast<float>(q_mean * moisture);
        const double u = u_mean + 5.0 * n_u[k];
        const double v = 4.0 * n_v[k];
        at(j, i, U850) = static_cast<float>(u);
        at(j, i, V850) = static_cast<float>(v);
        at(j, i, UBOT) = static_cast<float>(0.65 * u);
        at(j, i, VBOT) = static_cast<float>(0.65 * v);
        at(j, i, PRECT) = static_cast<float>(rain_mean * std::exp(0.8 * n_r[k]));
        at(j, i, ZBOT) = static_cast<float>(2500.0 * land);  // surface height until finish()
      }
    }
  }

  /// A tropical cyclone: compact warm-core vortex; labelled where d < radius.
  void cyclone(Rng& rng, double event_scale, bool labelled) {
    const double hemisphere = rng.sign();
    const double cy = row_of_lat(hemisphere * rng.uniform(8.0, 26.0));
    const double cx = rng.uniform(0.0, static_cast<double>(w_));
    const double radius = rng.uniform(6.5, 10.5) * grid_ * event_scale;
    const double intensity = rng.uniform(0.6, 1.0);
    const double drop = intensity * rng.uniform(2500.0, 6000.0);
    const double vmax = intensity * rng.uniform(28.0, 50.0);
    for_pixels_near(
        h_, w_, cy, cx, 4.0 * radius, [&](std::size_t j, std::size_t i, double dy, double dx) {
          const double d = std::sqrt(dy * dy + dx * dx);
          const double rho = d / radius;
          const double core = std::exp(-ln2 * rho * rho);
          const double wide = std::exp(-ln2 * rho * rho / 2.25);
          add(j, i, PSL, -drop * wide);
          const double speed = vmax * rho * std::exp(0.5 * (1.0 - rho * rho));
          const double tx = d > 0 ? -dy / d * hemisphere : 0.0;  // counter-clockwise in the north
          const double ty = d > 0 ? dx / d * hemisphere : 0.0;
          add(j, i, UBOT, speed * tx);
          add(j, i, VBOT, speed * ty);
          add(j, i, U850, 0.9 * speed * tx);
          add(j, i, V850, 0.9 * speed * ty);
          add(j, i, TMQ, intensity * 22.0 * wide);
          add(j, i, PRECT, intensity * 3.0e-6 * core);
          add(j, i, QREFHT, 0.003 * core);
          add(j, i, T500, 5.0 * intensity * core);
          add(j, i, T200, 2.0 * intensity * core);
          add(j, i, Z200, 60.0 * intensity * core);
          add(j, i, TREFHT, -1.0 * core);
          if (labelled && rho < 1.0) label(j, i) = 1;
        });
  }

  /// A mid-latitude low: large, cold-core, weaker winds; never labelled.
  void extratropical_low(Rng& rng) {
    const double hemisphere = rng.sign();
    const double cy = row_of_lat(hemisphere * rng.uniform(38.0, 66.0));
    const double cx = rng.uniform(0.0, static_cast<double>(w_));
    const double radius = rng.uniform(25.0, 40.0) * grid_;
    const double drop = rng.uniform(1500.0, 3500.0);
    const double vmax = rng.uniform(10.0, 18.0);
    for_pixels_near(h_, w_, cy, cx, 3.0 * radius,
                    [&](std::size_t j, std::size_t i, double dy, double dx) {
                      const double d = std::sqrt(dy * dy + dx * dx);
                      const double rho = d / radius;
                      add(j, i, PSL, -drop * std::exp(-ln2 * rho * rho));
                      const double speed = vmax * rho * std::exp(0.5 * (1.0 - rho * rho));
                      const double tx = d > 0 ? -dy / d * hemisphere : 0.0;
                      const double ty = d > 0 ? dx / d * hemisphere : 0.0;
                      add(j, i, UBOT, 0.7 * speed * tx);
                      add(j, i, VBOT, 0.7 * speed * ty);
                      add(j, i, U850, speed * tx);
                      add(j, i, V850, speed * ty);
                      add(j, i, T500, -3.0 * std::exp(-ln2 * rho * rho));
                      add(j, i, PRECT, 4.0e-7 * std::exp(-ln2 * rho * rho));
                    });
  }

  /// A tropical convective cluster: moist and rainy like a cyclone, without vortex or low.
  void convective_cluster(Rng& rng) {
    const double cy = row_of_lat(rng.uniform(-16.0, 16.0));
    const double cx = rng.uniform(0.0, static_cast<double>(w_));
    const double radius = rng.uniform(8.0, 20.0) * grid_;
    const double strength = rng.uniform(0.5, 1.0);
    for_pixels_near(h_, w_, cy, cx, 3.0 * radius,
                    [&](std::size_t j, std::size_t i, double dy, double dx) {
                      const double rho2 = (dy * dy + dx * dx) / (radius * radius);
                      const double core = std::exp(-ln2 * rho2);
                      add(j, i, TMQ, 14.0 * strength * core);
                      add(j, i, PRECT, 2.0e-6 * strength * core);
                      add(j, i, PSL, -250.0 * strength * core);
                      add(j, i, T500, 1.0 * strength * core);
                    });
  }

  /// An atmospheric river: a moist filament from the tropics to mid latitudes, curving
  /// eastwards, with wind along it; labelled within its half width of the axis.
  void river(Rng& rng, double event_scale) {
    const double hemisphere = rng.sign();
    const double lat0 = hemisphere * rng.uniform(14.0, 24.0);
    const double lat1 = hemisphere * rng.uniform(38.0, 55.0);
    const double x0 = rng.uniform(0.0, static_cast<double>(w_));
    const double span = rng.uniform(40.0, 80.0) / 360.0 * static_cast<double>(w_);
    const double y0 = row_of_lat(lat0), y1 = row_of_lat(lat1);
    const double bend = rng.uniform(-0.25, 0.25) * span;
    const double cx = x0 + 0.5 * span + bend, cy = 0.5 * (y0 + y1) - bend * 0.5 * hemisphere;
    const double half_width = rng.uniform(6.5, 9.5) * grid_ * event_scale;
    const double moisture = rng.uniform(18.0, 28.0);
    const double wind = rng.uniform(12.0, 20.0);

    // The axis as a polyline of a quadratic Bezier curve.
    constexpr int pieces = 48;
    std::vector<std::pair<double, double>> axis;  // (y, x) in pixels
    for (int k = 0; k <= pieces; ++k) {
      const double t = static_cast<double>(k) / pieces;
      const double a = (1 - t) * (1 - t), b = 2 * t * (1 - t), c = t * t;
      axis.emplace_back(a * y0 + b * cy + c * y1, a * x0 + b * cx + c * (x0 + span));
    }
    // Nearest point on the axis for every pixel near it: distance, position t and direction.
    struct Near {
      double d = 1e30, t = 0, ty = 0, tx = 0;
    };
    const double reach = 3.0 * half_width;
    const double ymin = std::min({y0, cy, y1}) - reach, ymax = std::max({y0, cy, y1}) + reach;
    const double xmin = std::min({x0, cx, x0 + span}) - reach;
    const double xmax = std::max({x0, cx, x0 + span}) + reach;
    const long j0 = std::max(0L, static_cast<long>(std::floor(ymin)));
    const long j1 = std::min(static_cast<long>(h_) - 1, static_cast<long>(std::ceil(ymax)));
    const long i0 = static_cast<long>(std::floor(xmin)), i1 = static_cast<long>(std::ceil(xmax));
    const long nx = i1 - i0 + 1;
    if (nx >= static_cast<long>(w_) || j1 < j0) return;
    std::vector<Near> near(static_cast<std::size_t>((j1 - j0 + 1) * nx));
    for (int k = 0; k < pieces; ++k) {
      const auto [ay, ax] = axis[k];
      const auto [by, bx] = axis[k + 1];
      const double sy = by - ay, sx = bx - ax;
      const double length2 = sy * sy + sx * sx;
      const double length = std::sqrt(length2);
      const long pj0 = std::max(j0, static_cast<long>(std::floor(std::min(ay, by) - reach)));
      const long pj1 = std::min(j1, static_cast<long>(std::ceil(std::max(ay, by) + reach)));
      const long pi0 = static_cast<long>(std::floor(std::min(ax, bx) - reach));
      const long pi1 = static_cast<long>(std::ceil(std::max(ax, bx) + reach));
      for (long j = pj0; j <= pj1; ++j) {
        for (long i = pi0; i <= pi1; ++i) {
          const double py = static_cast<double>(j) + 0.5 - ay;
          const double px = static_cast<double>(i) + 0.5 - ax;
          const double u = std::clamp((py * sy + px * sx) / length2, 0.0, 1.0);
          const double ey = py - u * sy, ex = px - u * sx;
          const double d = std::sqrt(ey * ey + ex * ex);
          Near& slot = near[static_cast<std::size_t>((j - j0) * nx + (i - i0))];
          if (d < slot.d) slot = {d, (k + u) / pieces, sy / length, sx / length};
        }
      }
    }
    const long width = static_cast<long>(w_);
    for (long j = j0; j <= j1; ++j) {
      for (long i = i0; i <= i1; ++i) {
        const Near& n = near[static_cast<std::size_t>((j - j0) * nx + (i - i0))];
        if (n.d > reach) continue;
        const auto row = static_cast<std::size_t>(j);
        const auto col = static_cast<std::size_t>(((i % width) + width) % width);
        const double rho = n.d / half_width;
        const double core = std::exp(-ln2 * rho * rho);
        const double wide = std::exp(-ln2 * rho * rho / 2.25);
        // Strongest in the middle of the river, fading at both ends.
        const double along = 0.35 + 0.65 * std::sin(std::numbers::pi * std::clamp(n.t, 0.0, 1.0));
        add(row, col, TMQ, moisture * core * along);
        add(row, col, QREFHT, 0.004 * core * along);
        add(row, col, U850, wind * wide * along * n.tx);
        add(row, col, V850, wind * wide * along * n.ty);
        add(row, col, UBOT, 0.6 * wind * wide * along * n.tx);
        add(row, col, VBOT, 0.6 * wind * wide * along * n.ty);
        add(row, col, PRECT, 8.0e-7 * core * n.t);
        add(row, col, T500, 1.5 * core);
        add(row, col, TS, 1.0 * core);
        add(row, col, TREFHT, 1.0 * core);
        if (rho < 1.0 && label(row, col) == 0) label(row, col) = 2;
      }
    }
  }

  /// Derived fields and white noise. The noise draws from a table of 4096 normals with 12
  /// random bits each: Box-Muller for all 14 M values of a full sample would dominate the run.
  Cam5Sample finish(Rng& rng, double noise) {
    constexpr std::array<double, cam5_channel_count> noise_std{
        0.5, 0.5, 0.5, 0.4, 0.4, 1e-4, 20.0, 20.0, 0.2, 0.2, 2e-9, 0.2, 0.2, 2.0, 3.0, 0.3};
    std::array<double, 4096> normals;
    for (double& v : normals) v = rng.normal();
    std::uint64_t random_bits = 0;
    int bits_left = 0;
    const auto next_normal = [&] {
      if (bits_left == 0) {
        random_bits = rng.bits();
        bits_left = 5;
      }
      const double v = normals[random_bits & 4095u];
      random_bits >>= 12;
      --bits_left;
      return v;
    };
    for (std::size_t j = 0; j < h_; ++j) {
      for (std::size_t i = 0; i < w_; ++i) {
        const double psl = at(j, i, PSL);
        const double surface = at(j, i, ZBOT);
        at(j, i, PS) = static_cast<float>(surface > 0 ? psl * std::exp(-surface / 8000.0) : psl);
        at(j, i, Z1000) = static_cast<float>(0.085 * (psl - 100000.0));
        at(j, i, Z200) = static_cast<float>(at(j, i, Z200) + 0.02 * (psl - 101300.0));
        at(j, i, ZBOT) = static_cast<float>(62.0 + 0.2 * (at(j, i, TREFHT) - 280.0));
        if (noise > 0) {
          for (std::size_t c = 0; c < cam5_channel_count; ++c)
            add(j, i, c, noise * noise_std[c] * next_normal());
        }
        at(j, i, TMQ) = std::max(at(j, i, TMQ), 0.1f);
        at(j, i, QREFHT) = std::max(at(j, i, QREFHT), 1e-5f);
        at(j, i, PRECT) = std::max(at(j, i, PRECT), 0.0f);
      }
    }
    return std::move(sample_);
  }

 private:
  std::size_t h_, w_;
  double grid_;
  Cam5Sample sample_;
};

}  // namespace

std::string cam5_sample_name(std::size_t index) {
  static constexpr std::array<int, 12> days_in_month{31, 28, 31, 30, 31, 30,
                                                     31, 31, 30, 31, 30, 31};
  const std::size_t hours = 3 * index;
  std::size_t day_of_year = (hours / 24) % 365;
  const std::size_t year = 2000 + hours / 24 / 365;
  int month = 0;
  while (day_of_year >= static_cast<std::size_t>(days_in_month[month])) {
    day_of_year -= static_cast<std::size_t>(days_in_month[month]);
    ++month;
  }
  return fmt::format("data-{:04d}-{:02d}-{:02d}-{:02d}-1.h5", year, month + 1, day_of_year + 1,
                     hours % 24);
}

Cam5Sample make_cam5_synthetic_sample(const Cam5SynthOptions& o, std::size_t index) {
  SEGBENCH_CHECK(o.height >= 8 && o.width >= 8, ConfigError,
                 "synthetic CAM5: expected height and width >= 8, found {}x{}", o.height, o.width);
  SEGBENCH_CHECK(
      o.noise >= 0 && o.event_scale > 0 && o.cyclones_per_sample >= 0 && o.rivers_per_sample >= 0,
      ConfigError,
      "synthetic CAM5: expected noise >= 0, event_scale > 0 and non-negative event "
      "counts, found noise {}, event_scale {}, cyclones {}, rivers {}",
      o.noise, o.event_scale, o.cyclones_per_sample, o.rivers_per_sample);
  Rng rng(mix(o.seed ^ mix(static_cast<std::uint64_t>(index) + 1)));
  SampleBuilder builder(o.height, o.width);
  builder.background(rng);
  const int lows = rng.poisson(2.5), clusters = rng.poisson(3.0);
  const int rivers = rng.poisson(o.rivers_per_sample);
  const int cyclones = rng.poisson(o.cyclones_per_sample);
  for (int k = 0; k < lows; ++k) builder.extratropical_low(rng);
  for (int k = 0; k < clusters; ++k) builder.convective_cluster(rng);
  for (int k = 0; k < rivers; ++k) builder.river(rng, o.event_scale);
  for (int k = 0; k < cyclones; ++k) builder.cyclone(rng, o.event_scale, true);
  return builder.finish(rng, o.noise);
}

void write_cam5_sample(const fs::path& path, const Cam5Sample& sample) {
  io::H5Writer writer(path);
  const std::array<std::size_t, 3> data_shape{sample.height, sample.width, cam5_channel_count};
  const std::array<std::size_t, 2> label_shape{sample.height, sample.width};
  writer.write("climate/data", data_shape, std::span<const float>(sample.data));
  writer.write("climate/labels_0", label_shape, std::span<const std::int32_t>(sample.labels));
  writer.commit();
}

std::vector<fs::path> write_cam5_synthetic(const fs::path& out_dir, const Cam5SynthOptions& o,
                                           std::ostream* progress) {
  SEGBENCH_CHECK(o.train_samples >= 0 && o.validation_samples >= 0 &&
                     o.train_samples + o.validation_samples >= 1,
                 ConfigError,
                 "synthetic CAM5: expected at least one sample, found {} train and {} validation",
                 o.train_samples, o.validation_samples);
  const auto total = static_cast<std::size_t>(o.train_samples + o.validation_samples);
  std::vector<fs::path> written;
  for (std::size_t index = 0; index < total; ++index) {
    const char* split = o.flat                                              ? "all"
                        : index < static_cast<std::size_t>(o.train_samples) ? "train"
                                                                            : "validation";
    const fs::path path = out_dir / split / cam5_sample_name(index);
    const Cam5Sample sample = make_cam5_synthetic_sample(o, index);
    write_cam5_sample(path, sample);
    written.push_back(path);
    if (progress) {
      std::size_t counts[3] = {0, 0, 0};
      for (std::int32_t l : sample.labels) ++counts[l];
      const double n = static_cast<double>(sample.labels.size());
      fmt::print(*progress, "[{}/{}] wrote {} ({}x{}x{}; cyclone {:.4f}%, river {:.3f}%)\n",
                 index + 1, total, path.string(), o.height, o.width, cam5_channel_count,
                 100.0 * static_cast<double>(counts[1]) / n,
                 100.0 * static_cast<double>(counts[2]) / n);
    }
  }
  return written;
}

}  // namespace segbench::prep
