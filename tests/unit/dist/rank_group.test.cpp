// How ranks name themselves in error messages, in the whole job and in groups.
#include "segbench/dist/rank_label.hpp"

#include <catch2/catch.hpp>

TEST_CASE("rank labels name the job rank and, in a group, the group's ranks", "[dist]") {
  CHECK(segbench::rank_label(3, 4, 0, 4) == "rank 3/4");
  CHECK(segbench::rank_label(1, 2, 2, 4) == "rank 3 (1/2 of the group of ranks 2-3)");
  CHECK(segbench::rank_label(0, 2, 0, 4) == "rank 0 (0/2 of the group of ranks 0-1)");
}
