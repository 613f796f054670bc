// The start-up data check of a data set too large to read on every rank (CAM5: 136k HDF5
// files): rank 0 verifies it (headers and counts, in parallel threads) and broadcasts its
// verdict; the other ranks take it without reading a file. Tensor tier.
#pragma once

#include <filesystem>
#include <functional>

#include "segbench/dist/any_context.hpp"
#include "segbench/prep/checksum_manifest.hpp"

namespace segbench {

/// A collective: rank 0 calls `verify` (of `dir`); when it finds problems, or fails, every rank
/// throws a DataError with rank 0's message (every bad file named). The other ranks never call
/// `verify`.
void require_valid_data_on_rank0(AnyContext& ctx, const std::function<prep::VerifyReport()>& verify,
                                 const std::filesystem::path& dir);

}  // namespace segbench
