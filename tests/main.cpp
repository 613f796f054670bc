// The one Catch2 main, compiled once into a static library (it costs ~18 s).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
