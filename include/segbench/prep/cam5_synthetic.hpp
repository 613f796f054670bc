// A generator of synthetic CAM5 climate samples in the DeepCAM file layout: per sample an HDF5
// file `data-YYYY-MM-DD-HH-1.h5` with `climate/data` (H, W, 16) float32, channels last, and
// `climate/labels_0` (H, W) int32 (0 background, 1 tropical cyclone, 2 atmospheric river).
// The 16 fields follow the CAM5 channel order with realistic units and latitude profiles plus
// smooth large-scale noise. Events are drawn into several fields at once (a cyclone lowers
// PSL/PS, spins UBOT/VBOT/U850/V850, moistens TMQ/PRECT and warms T500/T200; a river is a long
// moist filament carrying wind along it), and unlabelled look-alikes (mid-latitude lows, tropical
// convective clusters, the moist ITCZ band) keep any single-channel threshold from finding them.
// Rows run south to north (row 0 at 90 S), columns west to east. No torch here.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

namespace segbench::prep {

inline constexpr std::size_t cam5_channel_count = 16;

/// CAM5 channel order of `climate/data` (units: kg m-2, m s-1, kg kg-1, Pa, K, m s-1, m).
inline constexpr std::array<std::string_view, cam5_channel_count> cam5_channel_names{
    "TMQ",  "U850", "V850",  "UBOT", "VBOT",   "QREFHT", "PS",   "PSL",
    "T200", "T500", "PRECT", "TS",   "TREFHT", "Z1000",  "Z200", "ZBOT"};

struct Cam5SynthOptions {
  int train_samples = 8;
  int validation_samples = 2;
  std::size_t height = 768;  ///< latitude rows
  std::size_t width = 1152;  ///< longitude columns
  std::uint64_t seed = 0;
  double noise = 1.0;  ///< scale of the white per-pixel noise (0 = none)
  /// Multiplies cyclone radii and river widths (which otherwise scale with the grid); use
  /// 3 to 4 on small demo grids such as 96x144 so that events span several pixels.
  double event_scale = 1.0;
  double cyclones_per_sample = 2.0;  ///< mean of the Poisson count of tropical cyclones
  double rivers_per_sample = 3.0;    ///< mean of the Poisson count of atmospheric rivers
  /// Write every sample into `<out>/all/` (input of cam5-split) instead of train/ + validation/.
  bool flat = false;
};

/// One generated sample in memory.
struct Cam5Sample {
  std::size_t height = 0, width = 0;
  std::vector<float> data;           ///< (H, W, 16), channels last
  std::vector<std::int32_t> labels;  ///< (H, W)
};

/// File name of sample `index`: "data-YYYY-MM-DD-HH-1.h5", 3-hourly from 2000-01-01 00:00 on
/// CAM5's 365-day (no-leap) calendar.
std::string cam5_sample_name(std::size_t index);

/// Sample `index` (train samples first, then validation); depends only on (options, index).
Cam5Sample make_cam5_synthetic_sample(const Cam5SynthOptions& options, std::size_t index);

/// Writes climate/data and climate/labels_0 atomically.
void write_cam5_sample(const std::filesystem::path& path, const Cam5Sample& sample);

/// Writes `<out>/train/` and `<out>/validation/` (or `<out>/all/` when options.flat); one progress
/// line per file. Returns the written files in order.
std::vector<std::filesystem::path> write_cam5_synthetic(const std::filesystem::path& out_dir,
                                                        const Cam5SynthOptions& options,
                                                        std::ostream* progress = nullptr);

}  // namespace segbench::prep
