// "[a, b, c]": how error messages print tensor and array shapes. No torch here.
#pragma once

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <string>

namespace segbench::detail {

template <class Range>
std::string shape_text(const Range& dims) {
  return fmt::format("[{}]", fmt::join(dims, ", "));
}

}  // namespace segbench::detail
