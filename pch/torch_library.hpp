// Precompiled header of libsegbench (meson cpp_pch; see README.md here).
// ATen.h (with all per-op headers) and fmt: what most of its torch TUs use, parsed once.
#ifndef SEGBENCH_PCH_TORCH_LIBRARY_HPP
#define SEGBENCH_PCH_TORCH_LIBRARY_HPP

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#endif
