// Precompiled header of segbench-tests-torch, for its files that include catch_torch.hpp (meson
// cpp_pch; see README.md here). c10's glog defines CHECK, which would replace Catch2's CHECK:
// undefine it as tests/catch_torch.hpp does. Catch2 itself cannot be in this PCH, because
// catch_torch.hpp undefines CHECK before it includes <catch2/catch.hpp>.
#ifndef SEGBENCH_PCH_TORCH_TESTS_HPP
#define SEGBENCH_PCH_TORCH_TESTS_HPP

#include <ATen/ATen.h>
#undef CHECK

#endif
