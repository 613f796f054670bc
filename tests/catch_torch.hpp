// Include this (never <catch2/catch.hpp> directly) in tests that use torch:
// c10's glog build defines CHECK, which would silently replace Catch2's CHECK.
#pragma once

#include <ATen/ATen.h>
#undef CHECK
#include <catch2/catch.hpp>
