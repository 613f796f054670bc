// The drivers' start-up data check: a fast verification (headers, shapes, dtypes, counts, not
// every value) of the data set before the first step, so that a run never starts on a broken set
// and every bad file is named at once.
#pragma once

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <filesystem>
#include <string>

#include "segbench/error.hpp"
#include "segbench/prep/checksum_manifest.hpp"

namespace segbench {

/// Every problem of `report` (a verification of `dir`) in one message; "" when there is none.
inline std::string data_problems(const prep::VerifyReport& report,
                                 const std::filesystem::path& dir) {
  if (report.ok()) return {};
  return fmt::format("{}: {} problem(s) found before training:\n  {}", dir.string(),
                     report.problems.size(), fmt::join(report.problems, "\n  "));
}

/// Throws DataError listing every problem of `report` (a verification of `dir`), if any.
inline void require_valid_data(const prep::VerifyReport& report, const std::filesystem::path& dir) {
  if (!report.ok()) throw DataError(data_problems(report, dir));
}

}  // namespace segbench
