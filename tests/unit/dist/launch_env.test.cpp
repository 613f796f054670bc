#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "segbench/dist/launch_env.hpp"
#include "segbench/error.hpp"

using namespace segbench;
using Hosts = std::vector<std::string>;

namespace {

// A fake process environment; only the variables given exist.
struct FakeEnv {
  std::map<std::string, std::string> vars;
  const char* operator()(const char* name) const {
    const auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  }
};

LaunchEnv discover(std::map<std::string, std::string> vars) {
  const FakeEnv env{std::move(vars)};
  return discover_launch_env(env);
}

// What srun sets for task `procid` of 8 tasks on node01..node02, 4 per node.
std::map<std::string, std::string> srun_two_nodes(int procid) {
  return {{"SLURM_PROCID", std::to_string(procid)},
          {"SLURM_NTASKS", "8"},
          {"SLURM_LOCALID", std::to_string(procid % 4)},
          {"SLURM_NODEID", std::to_string(procid / 4)},
          {"SLURM_TASKS_PER_NODE", "4(x2)"},
          {"SLURM_NNODES", "2"},
          {"SLURM_JOB_NODELIST", "node[01-02]"},
          {"SLURM_STEP_NODELIST", "node[01-02]"},
          {"SLURMD_NODENAME", procid < 4 ? "node01" : "node02"},
          {"SLURM_JOB_ID", "123456"}};
}

}  // namespace

TEST_CASE("no launcher variables give a world of one", "[dist]") {
  const LaunchEnv e = discover({{"HOSTNAME", "laptop"}, {"LOCAL_RANK", "0"}});
  CHECK(e.launcher == Launcher::none);
  CHECK(e.rank == 0);
  CHECK(e.world_size == 1);
  CHECK(e.local_rank == 0);
  CHECK(e.local_world_size == 1);
  CHECK(e.num_nodes == 1);
  CHECK(e.master_addr == "127.0.0.1");
  CHECK(e.master_port == 29500);
  CHECK(e.node_name == "laptop");
  CHECK(e.describe() == "none: rank 0/1 (local 0/1) on laptop, master 127.0.0.1:29500, 1 node");
}

TEST_CASE("without SLURMD_NODENAME or HOSTNAME the node name is the host's", "[dist]") {
  CHECK_FALSE(discover({}).node_name.empty());
}

TEST_CASE("Slurm on one node", "[dist]") {
  const LaunchEnv e = discover({{"SLURM_PROCID", "2"},
                                {"SLURM_NTASKS", "4"},
                                {"SLURM_LOCALID", "2"},
                                {"SLURM_TASKS_PER_NODE", "4"},
                                {"SLURM_NNODES", "1"},
                                {"SLURM_JOB_NODELIST", "gpu17"},
                                {"SLURMD_NODENAME", "gpu17"},
                                {"SLURM_JOB_ID", "7"}});
  CHECK(e.launcher == Launcher::slurm);
  CHECK(e.rank == 2);
  CHECK(e.world_size == 4);
  CHECK(e.local_rank == 2);
  CHECK(e.local_world_size == 4);
  CHECK(e.num_nodes == 1);
  CHECK(e.master_addr == "gpu17");
  CHECK(e.master_port == 20007);
  CHECK(e.node_name == "gpu17");
}

TEST_CASE("Slurm on two nodes: master is the first host, port comes from the job id", "[dist]") {
  const LaunchEnv e = discover(srun_two_nodes(5));
  CHECK(e.launcher == Launcher::slurm);
  CHECK(e.rank == 5);
  CHECK(e.world_size == 8);
  CHECK(e.local_rank == 1);
  CHECK(e.local_world_size == 4);
  CHECK(e.num_nodes == 2);
  CHECK(e.master_addr == "node01");
  CHECK(e.master_port == 20000 + 123456 % 20000);
  CHECK(e.master_port == 23456);
  CHECK(e.node_name == "node02");
  CHECK(e.describe() == "slurm: rank 5/8 (local 1/4) on node02, master node01:23456, 2 nodes");
}

TEST_CASE("Slurm: concurrent jobs get different ports", "[dist]") {
  auto vars = srun_two_nodes(0);
  const int first = discover(vars).master_port;
  vars["SLURM_JOB_ID"] = "123457";
  CHECK(discover(vars).master_port == first + 1);
  vars["SLURM_JOB_ID"] = "39999";
  CHECK(discover(vars).master_port == 39999);
  vars["SLURM_JOB_ID"] = "40000";
  CHECK(discover(vars).master_port == 20000);
}

TEST_CASE("Slurm: SLURM_TASKS_PER_NODE '4(x2)' gives local world and nodes", "[dist]") {
  // Only the compressed layout: local world, node count and local rank are derived from it.
  const LaunchEnv e = discover({{"SLURM_PROCID", "6"},
                                {"SLURM_NTASKS", "8"},
                                {"SLURM_TASKS_PER_NODE", "4(x2)"},
                                {"SLURM_JOB_NODELIST", "n[008-009]"}});
  CHECK(e.local_world_size == 4);
  CHECK(e.num_nodes == 2);
  CHECK(e.local_rank == 2);
  CHECK(e.master_addr == "n008");
  CHECK(e.master_port == 29500);  // no job id, no MASTER_PORT
}

TEST_CASE("Slurm: an uneven layout picks this node's entry", "[dist]") {
  std::map<std::string, std::string> vars{{"SLURM_NTASKS", "11"},
                                          {"SLURM_TASKS_PER_NODE", "4(x2),3"},
                                          {"SLURM_JOB_NODELIST", "a[1-3]"}};
  vars["SLURM_PROCID"] = "9";
  const LaunchEnv by_rank = discover(vars);
  CHECK(by_rank.local_world_size == 3);
  CHECK(by_rank.local_rank == 1);
  CHECK(by_rank.num_nodes == 3);
  vars["SLURM_NODEID"] = "1";
  vars["SLURM_PROCID"] = "5";
  vars["SLURM_LOCALID"] = "1";
  const LaunchEnv by_node = discover(vars);
  CHECK(by_node.local_world_size == 4);
  CHECK(by_node.local_rank == 1);
}

TEST_CASE("Slurm: SLURM_NTASKS_PER_NODE and the step variables take priority", "[dist]") {
  auto vars = srun_two_nodes(3);
  vars["SLURM_NTASKS_PER_NODE"] = "4";
  vars["SLURM_TASKS_PER_NODE"] = "garbage";  // not read when the per-node count is given
  CHECK(discover(vars).local_world_size == 4);

  vars = srun_two_nodes(1);
  vars["SLURM_JOB_NODELIST"] = "login[1-4]";  // the job's; the step runs on node01..02
  vars["SLURM_JOB_NUM_NODES"] = "4";
  vars.erase("SLURM_NNODES");
  const LaunchEnv e = discover(vars);
  CHECK(e.master_addr == "node01");
  CHECK(e.num_nodes == 4);
}

TEST_CASE("OpenMPI variables", "[dist]") {
  const LaunchEnv e = discover({{"OMPI_COMM_WORLD_RANK", "3"},
                                {"OMPI_COMM_WORLD_SIZE", "4"},
                                {"OMPI_COMM_WORLD_LOCAL_RANK", "1"},
                                {"OMPI_COMM_WORLD_LOCAL_SIZE", "2"},
                                {"PMIX_RANK", "3"},
                                {"HOSTNAME", "h2"}});
  CHECK(e.launcher == Launcher::openmpi);
  CHECK(e.rank == 3);
  CHECK(e.world_size == 4);
  CHECK(e.local_rank == 1);
  CHECK(e.local_world_size == 2);
  CHECK(e.num_nodes == 2);
  CHECK(e.master_addr == "127.0.0.1");
  CHECK(e.describe() == "openmpi: rank 3/4 (local 1/2) on h2, master 127.0.0.1:29500, 2 nodes");
}

TEST_CASE("mpirun inside an sbatch allocation: OpenMPI beats the stale Slurm step", "[dist]") {
  // The batch step's SLURM_PROCID=0 / SLURM_NTASKS are inherited by every mpirun rank.
  const LaunchEnv e = discover({{"SLURM_PROCID", "0"},
                                {"SLURM_NTASKS", "8"},
                                {"SLURM_JOB_NODELIST", "node[01-02]"},
                                {"OMPI_COMM_WORLD_RANK", "6"},
                                {"OMPI_COMM_WORLD_SIZE", "8"},
                                {"OMPI_COMM_WORLD_LOCAL_RANK", "2"},
                                {"OMPI_COMM_WORLD_LOCAL_SIZE", "4"},
                                {"MASTER_ADDR", "node01"}});
  CHECK(e.launcher == Launcher::openmpi);
  CHECK(e.rank == 6);
  CHECK(e.local_rank == 2);
  CHECK(e.master_addr == "node01");
}

TEST_CASE("PMIx variables", "[dist]") {
  const LaunchEnv e = discover({{"PMIX_RANK", "2"}, {"PMI_SIZE", "3"}});
  CHECK(e.launcher == Launcher::pmix);
  CHECK(e.rank == 2);
  CHECK(e.world_size == 3);
  CHECK(e.local_rank == 2);  // no local size given: one node
  CHECK(e.local_world_size == 3);
  CHECK(e.num_nodes == 1);

  const LaunchEnv local = discover({{"PMIX_RANK", "5"},
                                    {"PMIX_SIZE", "8"},
                                    {"PMI_SIZE", "99"},
                                    {"PMIX_LOCAL_RANK", "1"},
                                    {"PMIX_LOCAL_SIZE", "4"}});
  CHECK(local.world_size == 8);
  CHECK(local.local_rank == 1);
  CHECK(local.local_world_size == 4);
  CHECK(local.num_nodes == 2);

  CHECK_THROWS_WITH(discover({{"PMIX_RANK", "1"}}),
                    Catch::Contains("PMIX_RANK=1") && Catch::Contains("PMIX_SIZE or PMI_SIZE"));
}

TEST_CASE("torchrun variables", "[dist]") {
  const LaunchEnv e = discover({{"RANK", "5"},
                                {"WORLD_SIZE", "8"},
                                {"LOCAL_RANK", "1"},
                                {"LOCAL_WORLD_SIZE", "4"},
                                {"GROUP_WORLD_SIZE", "2"},
                                {"MASTER_ADDR", "10.0.0.1"},
                                {"MASTER_PORT", "29400"}});
  CHECK(e.launcher == Launcher::torchrun);
  CHECK(e.rank == 5);
  CHECK(e.world_size == 8);
  CHECK(e.local_rank == 1);
  CHECK(e.local_world_size == 4);
  CHECK(e.num_nodes == 2);
  CHECK(e.master_addr == "10.0.0.1");
  CHECK(e.master_port == 29400);

  // A manual two-process launch on one machine: only RANK and WORLD_SIZE.
  const LaunchEnv manual = discover({{"RANK", "1"}, {"WORLD_SIZE", "2"}});
  CHECK(manual.local_rank == 1);
  CHECK(manual.local_world_size == 2);
  CHECK(manual.num_nodes == 1);

  // Local size without local rank: block placement.
  const LaunchEnv blocks =
      discover({{"RANK", "6"}, {"WORLD_SIZE", "8"}, {"LOCAL_WORLD_SIZE", "4"}});
  CHECK(blocks.local_rank == 2);
  CHECK(blocks.num_nodes == 2);
}

TEST_CASE("precedence: torchrun variables beat Slurm", "[dist]") {
  auto vars = srun_two_nodes(5);
  vars["RANK"] = "0";
  vars["WORLD_SIZE"] = "2";
  const LaunchEnv e = discover(vars);
  CHECK(e.launcher == Launcher::torchrun);
  CHECK(e.rank == 0);
  CHECK(e.world_size == 2);
  CHECK(e.master_addr == "127.0.0.1");  // Slurm's node list is not consulted
}

TEST_CASE("precedence: MASTER_ADDR and MASTER_PORT override the Slurm rendezvous", "[dist]") {
  auto vars = srun_two_nodes(5);
  vars["MASTER_ADDR"] = "head.cluster";
  const LaunchEnv e = discover(vars);
  CHECK(e.master_addr == "head.cluster");
  CHECK(e.master_port == 23456);
  vars["MASTER_PORT"] = "31000";
  CHECK(discover(vars).master_port == 31000);
  vars["MASTER_ADDR"] = "";  // empty counts as unset
  CHECK(discover(vars).master_addr == "node01");
}

TEST_CASE("inconsistent launch variables are ConfigErrors naming variable and value", "[dist]") {
  CHECK_THROWS_AS(discover({{"RANK", "x"}, {"WORLD_SIZE", "2"}}), ConfigError);
  CHECK_THROWS_WITH(discover({{"RANK", "x"}, {"WORLD_SIZE", "2"}}),
                    Catch::Contains("RANK='x' is not an integer"));
  CHECK_THROWS_WITH(
      discover({{"RANK", "2"}, {"WORLD_SIZE", "2"}}),
      Catch::Contains("rank RANK=2 is out of range") && Catch::Contains("world size WORLD_SIZE=2"));
  CHECK_THROWS_WITH(discover({{"RANK", "-1"}, {"WORLD_SIZE", "2"}}),
                    Catch::Contains("RANK=-1 is out of range"));
  CHECK_THROWS_WITH(discover({{"RANK", "0"}, {"WORLD_SIZE", "0"}}),
                    Catch::Contains("world size WORLD_SIZE=0 must be >= 1"));
  CHECK_THROWS_WITH(discover({{"RANK", "3"}}),
                    Catch::Contains("RANK=3 is set but WORLD_SIZE is not"));
  CHECK_THROWS_WITH(discover({{"WORLD_SIZE", "3"}}),
                    Catch::Contains("WORLD_SIZE=3 is set but RANK is not"));
  CHECK_THROWS_WITH(
      discover(
          {{"RANK", "0"}, {"WORLD_SIZE", "4"}, {"LOCAL_RANK", "2"}, {"LOCAL_WORLD_SIZE", "2"}}),
      Catch::Contains("local rank LOCAL_RANK=2 is out of range") &&
          Catch::Contains("LOCAL_WORLD_SIZE=2"));
  CHECK_THROWS_WITH(discover({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_PORT", "70000"}}),
                    Catch::Contains("MASTER_PORT=70000 is not a TCP port"));
  CHECK_THROWS_WITH(discover({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_PORT", "80a"}}),
                    Catch::Contains("MASTER_PORT='80a' is not an integer"));
  CHECK_THROWS_WITH(discover({{"OMPI_COMM_WORLD_RANK", "4"}, {"OMPI_COMM_WORLD_SIZE", "4"}}),
                    Catch::Contains("openmpi launch: rank OMPI_COMM_WORLD_RANK=4 is out of range"));
  CHECK_THROWS_WITH(discover({{"OMPI_COMM_WORLD_RANK", "0"}}),
                    Catch::Contains("OMPI_COMM_WORLD_SIZE is not"));

  auto slurm = srun_two_nodes(5);
  slurm["SLURM_NTASKS"] = "4";
  CHECK_THROWS_WITH(discover(slurm), Catch::Contains("SLURM_PROCID=5 is out of range") &&
                                         Catch::Contains("SLURM_NTASKS=4"));
  slurm = srun_two_nodes(5);
  slurm["SLURM_LOCALID"] = "4";
  CHECK_THROWS_WITH(discover(slurm), Catch::Contains("SLURM_LOCALID=4 is out of range") &&
                                         Catch::Contains("SLURM_TASKS_PER_NODE='4(x2)'"));
  slurm = srun_two_nodes(5);
  slurm["SLURM_TASKS_PER_NODE"] = "4(x2";
  CHECK_THROWS_WITH(discover(slurm), Catch::Contains("SLURM_TASKS_PER_NODE='4(x2' is malformed"));
  slurm = srun_two_nodes(5);
  slurm["SLURM_NODEID"] = "2";
  CHECK_THROWS_WITH(discover(slurm), Catch::Contains("SLURM_NODEID=2 is out of range"));
  slurm = srun_two_nodes(5);
  slurm["SLURM_STEP_NODELIST"] = "node[01-02";
  CHECK_THROWS_WITH(discover(slurm), Catch::Contains("node[01-02") &&
                                         Catch::Contains("'[' at position 4 is never closed"));
  slurm = srun_two_nodes(5);
  slurm["SLURM_JOB_ID"] = "12ab";
  CHECK_THROWS_WITH(discover(slurm), Catch::Contains("SLURM_JOB_ID='12ab' is not an integer"));
  slurm = srun_two_nodes(5);
  slurm.erase("SLURM_NTASKS");
  CHECK_THROWS_WITH(discover(slurm), Catch::Contains("SLURM_NTASKS or SLURM_NPROCS is not"));
}

TEST_CASE("the default reads the real process environment", "[dist]") {
  const LaunchEnv e = discover_launch_env();
  CHECK(e.world_size >= 1);
  CHECK(e.rank < e.world_size);
  CHECK_FALSE(e.node_name.empty());
}

TEST_CASE("launcher names", "[dist]") {
  CHECK(launcher_name(Launcher::slurm) == "slurm");
  CHECK(launcher_name(Launcher::openmpi) == "openmpi");
  CHECK(launcher_name(Launcher::pmix) == "pmix");
  CHECK(launcher_name(Launcher::torchrun) == "torchrun");
  CHECK(launcher_name(Launcher::none) == "none");
}

TEST_CASE("Slurm node lists expand in order", "[dist]") {
  CHECK(expand_slurm_nodelist("node[01-04,07],gpu5,rack[1-2]-n[3,5]") ==
        Hosts{"node01", "node02", "node03", "node04", "node07", "gpu5", "rack1-n3", "rack1-n5",
              "rack2-n3", "rack2-n5"});
  CHECK(expand_slurm_nodelist("gpu5") == Hosts{"gpu5"});
  CHECK(expand_slurm_nodelist("n[008-011]") == Hosts{"n008", "n009", "n010", "n011"});
  CHECK(expand_slurm_nodelist("n[8-11]") == Hosts{"n8", "n9", "n10", "n11"});
  CHECK(expand_slurm_nodelist("n[98-101]") == Hosts{"n98", "n99", "n100", "n101"});
  CHECK(expand_slurm_nodelist("n[5]") == Hosts{"n5"});
  CHECK(expand_slurm_nodelist("[1-2]x") == Hosts{"1x", "2x"});
  CHECK(expand_slurm_nodelist("a,b.example.org,c-1") == Hosts{"a", "b.example.org", "c-1"});
  CHECK(expand_slurm_nodelist("r[1-2]c[01-02,5]") ==
        Hosts{"r1c01", "r1c02", "r1c5", "r2c01", "r2c02", "r2c5"});
  CHECK(expand_slurm_nodelist("").empty());
  CHECK(expand_slurm_nodelist("n[0000-1999]").size() == 2000);
  CHECK(expand_slurm_nodelist("n[0000-1999]").back() == "n1999");
}

TEST_CASE("malformed Slurm node lists are ConfigErrors that say what is wrong", "[dist]") {
  CHECK_THROWS_AS(expand_slurm_nodelist("n[5-3]"), ConfigError);
  CHECK_THROWS_WITH(expand_slurm_nodelist("n[5-3]"),
                    Catch::Contains("'n[5-3]'") && Catch::Contains("range '5-3' runs backwards"));
  CHECK_THROWS_WITH(expand_slurm_nodelist("node[01-04"),
                    Catch::Contains("'[' at position 4 is never closed"));
  CHECK_THROWS_WITH(expand_slurm_nodelist("node01]"),
                    Catch::Contains("']' at position 6 has no matching '['"));
  CHECK_THROWS_WITH(expand_slurm_nodelist("n[1-[2]]"), Catch::Contains("nested '[' at position 4"));
  CHECK_THROWS_WITH(expand_slurm_nodelist("n[]"), Catch::Contains("empty bracket group"));
  CHECK_THROWS_WITH(expand_slurm_nodelist("n[1,,2]"),
                    Catch::Contains("empty element in bracket group '[1,,2]'"));
  CHECK_THROWS_WITH(expand_slurm_nodelist("n[a-b]"),
                    Catch::Contains("'a' in a bracket group is not a number or range"));
  CHECK_THROWS_WITH(expand_slurm_nodelist("n[1-]"), Catch::Contains("empty number"));
  CHECK_THROWS_WITH(expand_slurm_nodelist("a,,b"), Catch::Contains("empty host name"));
  CHECK_THROWS_WITH(expand_slurm_nodelist("a,"), Catch::Contains("empty host name"));
  CHECK_THROWS_WITH(expand_slurm_nodelist("n[0-99999999]"),
                    Catch::Contains("gives more than 1000000 hosts"));
  CHECK_THROWS_WITH(expand_slurm_nodelist("a[0-999]b[0-9999]"),
                    Catch::Contains("gives more than 1000000 hosts"));
}
