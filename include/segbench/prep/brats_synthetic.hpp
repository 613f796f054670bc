// A generator of MSD Task01_BrainTumour-layout data (dataset.json, imagesTr/, labelsTr/,
// imagesTs/) with learnable, MR-like content: a skull-stripped ellipsoid brain on a zero
// background (white matter, a cortex rim, ventricles), four modalities with distinct contrasts
// and one glioma per case made of nested regions: a non-enhancing centre (label 2) inside an
// enhancing ring (label 3, bright on T1gd) inside edema (label 1, bright on FLAIR and T2).
// No torch.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <string>
#include <vector>

#include "segbench/io/nifti.hpp"

namespace segbench::prep {

struct BratsSynthOptions {
  int cases = 4;       ///< training cases (imagesTr + labelsTr)
  int test_cases = 0;  ///< extra images in imagesTs (no labels)
  std::uint64_t seed = 0;
  int first_case_id = 1;                            ///< BRATS_001 is the first case
  std::array<std::size_t, 3> shape{240, 240, 155};  ///< (X, Y, Z) as nibabel shows it
  double noise = 0.03;  ///< Gaussian noise sd, as a fraction of each modality's white matter
};

/// The MSD modality names (dataset.json "modality"), in channel order.
const std::vector<std::string>& brats_modality_names();
/// The MSD label names (dataset.json "labels"), index = label value.
const std::vector<std::string>& brats_label_names();

/// One generated case: image (X, Y, Z, 4) float, zero outside the brain; label (X, Y, Z)
/// with values 0..3 (all three tumour labels present).
struct BratsSynthCase {
  io::NiftiVolume image;
  io::NiftiVolume label;
};

/// Case `index` (0-based; test images continue after the training cases) of the generator;
/// depends only on (options, index). Throws ConfigError when the shape is too small to hold a
/// brain with all three tumour regions.
BratsSynthCase make_brats_synthetic_case(const BratsSynthOptions& options, int index);

/// Writes `<out_dir>/Task01_BrainTumour/` with dataset.json (the MSD modality and label maps),
/// imagesTr/BRATS_XXX.nii.gz (float32 4-D), labelsTr/BRATS_XXX.nii.gz (uint8) and, for
/// test_cases > 0, imagesTs/. Prints one line per case to `progress` when given. Returns the
/// task directory.
std::filesystem::path write_brats_synthetic(const std::filesystem::path& out_dir,
                                            const BratsSynthOptions& options,
                                            std::ostream* progress = nullptr);

}  // namespace segbench::prep
