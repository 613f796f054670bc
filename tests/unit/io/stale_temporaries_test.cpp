#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include "segbench/io/atomic_file.hpp"
#include "support/scratch_dir.hpp"

namespace fs = std::filesystem;
using segbench::test::ScratchDir;
using segbench::test::write_bytes;

TEST_CASE("remove_stale_temporaries removes what dead writers left, nothing else", "[io]") {
  ScratchDir dir("stale-temporaries");
  // A pid that certainly ended: a child that exited and was reaped.
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  REQUIRE(child > 0);
  int status = 0;
  ::waitpid(child, &status, 0);
  const std::string dead = std::to_string(child), alive = std::to_string(::getpid());
  write_bytes(dir / (".case_00001_x.npy.tmp-" + dead + "-0.npy"), "torn");
  write_bytes(dir / (".case_00002_x.npy.tmp-" + alive + "-3.npy"), "being written");
  write_bytes(dir / ".hidden.tmp-notapid-1", "not ours");
  write_bytes(dir / "case_00001_x.npy", "data");
  CHECK(segbench::io::remove_stale_temporaries(dir.path()) == 1);
  CHECK_FALSE(fs::exists(dir / (".case_00001_x.npy.tmp-" + dead + "-0.npy")));
  CHECK(fs::exists(dir / (".case_00002_x.npy.tmp-" + alive + "-3.npy")));
  CHECK(fs::exists(dir / ".hidden.tmp-notapid-1"));
  CHECK(fs::exists(dir / "case_00001_x.npy"));
  CHECK(segbench::io::remove_stale_temporaries(dir / "missing") == 0);
}
