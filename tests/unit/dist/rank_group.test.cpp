// Ranks in groups: how they name themselves in error messages, and which group sizes fit.
#include "segbench/dist/rank_group.hpp"

#include <catch2/catch.hpp>

TEST_CASE("rank labels name the job rank and, in a group, the group's ranks", "[dist]") {
  CHECK(segbench::rank_label(3, 4, 0, 4) == "rank 3/4");
  CHECK(segbench::rank_label(1, 2, 2, 4) == "rank 3 (1/2 of the group of ranks 2-3)");
  CHECK(segbench::rank_label(0, 2, 0, 4) == "rank 0 (0/2 of the group of ranks 0-1)");
}

TEST_CASE("group sizes must be positive divisors of the world size", "[dist]") {
  CHECK_NOTHROW(segbench::check_group_size("rank 0/4", 4, 2));
  CHECK_NOTHROW(segbench::check_group_size("rank 0/4", 4, 1));
  CHECK_THROWS_WITH(segbench::check_group_size("rank 1/4", 4, 3),
                    "rank 1/4: a group size must divide the world size 4, found 3");
  CHECK_THROWS_AS(segbench::check_group_size("rank 1/4", 4, 0), segbench::ConfigError);
}
