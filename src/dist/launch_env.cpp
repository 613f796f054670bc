#include "segbench/dist/launch_env.hpp"

#include <fmt/core.h>
#include <unistd.h>

#include <charconv>
#include <climits>
#include <cstdint>
#include <optional>
#include <utility>

#include "segbench/error.hpp"

namespace segbench {
namespace {

// Guards against lists like "n[0-999999999]" eating all memory.
constexpr std::size_t kMaxHosts = 1'000'000;

// ---- Slurm host lists

struct NodelistParser {
  std::string_view list;

  [[noreturn]] void fail(std::string_view why) const {
    throw ConfigError(fmt::format("malformed Slurm node list '{}': {}", list, why));
  }

  std::uint64_t parse_number(std::string_view digits) const {
    if (digits.empty()) fail("empty number in a bracket group");
    if (digits.size() > 18) fail(fmt::format("number '{}' is too long", digits));
    std::uint64_t value = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') {
        fail(fmt::format("'{}' in a bracket group is not a number or range", digits));
      }
      value = value * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return value;
  }

  // "01-04,07" → {"01","02","03","04","07"}.
  std::vector<std::string> expand_group(std::string_view group) const {
    if (group.empty()) fail("empty bracket group '[]'");
    std::vector<std::string> out;
    std::size_t begin = 0;
    while (begin <= group.size()) {
      const std::size_t comma = std::min(group.find(',', begin), group.size());
      const std::string_view element = group.substr(begin, comma - begin);
      if (element.empty()) fail(fmt::format("empty element in bracket group '[{}]'", group));
      const std::size_t dash = element.find('-');
      const std::string_view first = element.substr(0, dash);
      const std::string_view last =
          dash == std::string_view::npos ? first : element.substr(dash + 1);
      const std::uint64_t lo = parse_number(first);
      const std::uint64_t hi = parse_number(last);
      if (lo > hi) fail(fmt::format("range '{}' runs backwards (start > end)", element));
      if (hi - lo >= kMaxHosts || out.size() + (hi - lo + 1) > kMaxHosts) {
        fail(fmt::format("range '{}' gives more than {} hosts", element, kMaxHosts));
      }
      for (std::uint64_t n = lo; n <= hi; ++n) {
        out.push_back(fmt::format("{:0{}}", n, first.size()));
      }
      begin = comma + 1;
    }
    return out;
  }

  // One host pattern without top-level commas: "rack[1-2]-n[3,5]".
  void expand_pattern(std::string_view pattern, std::vector<std::string>& hosts) const {
    if (pattern.empty()) fail("empty host name (two commas in a row, or a leading/trailing one)");
    std::vector<std::string> partial{""};
    std::size_t pos = 0;
    while (pos < pattern.size()) {
      const std::size_t open = pattern.find('[', pos);
      const std::string_view literal = pattern.substr(pos, open - pos);
      for (auto& p : partial) p += literal;
      if (open == std::string_view::npos) break;
      const std::size_t close = pattern.find(']', open);  // brackets were checked balanced
      const auto alternatives = expand_group(pattern.substr(open + 1, close - open - 1));
      if (partial.size() * alternatives.size() > kMaxHosts) {
        fail(fmt::format("'{}' gives more than {} hosts", pattern, kMaxHosts));
      }
      std::vector<std::string> next;
      next.reserve(partial.size() * alternatives.size());
      for (const auto& p : partial) {
        for (const auto& a : alternatives) next.push_back(p + a);
      }
      partial = std::move(next);
      pos = close + 1;
    }
    if (hosts.size() + partial.size() > kMaxHosts) {
      fail(fmt::format("it gives more than {} hosts", kMaxHosts));
    }
    for (auto& p : partial) hosts.push_back(std::move(p));
  }

  std::vector<std::string> expand() const {
    std::vector<std::string> hosts;
    if (list.empty()) return hosts;
    bool in_group = false;
    std::size_t open_at = 0;
    std::size_t item_begin = 0;
    for (std::size_t i = 0; i <= list.size(); ++i) {
      const char c = i < list.size() ? list[i] : ',';
      if (c == '[') {
        if (in_group) fail(fmt::format("nested '[' at position {}", i));
        in_group = true;
        open_at = i;
      } else if (c == ']') {
        if (!in_group) fail(fmt::format("']' at position {} has no matching '['", i));
        in_group = false;
      } else if (c == ',' && !in_group) {
        expand_pattern(list.substr(item_begin, i - item_begin), hosts);
        item_begin = i + 1;
      }
    }
    if (in_group) fail(fmt::format("'[' at position {} is never closed", open_at));
    return hosts;
  }
};

// ---- environment variables

// An integer read from the environment, remembering where it came from for error messages.
struct Setting {
  int value = 0;
  std::string origin;  // "SLURM_NTASKS=8", or how it was derived
};

class Environment {
 public:
  explicit Environment(const std::function<const char*(const char*)>& getenv) : getenv_(getenv) {}

  std::optional<std::string> text(const char* name) const {
    const char* value = getenv_(name);
    if (value == nullptr || *value == '\0') return std::nullopt;
    return std::string(value);
  }

  bool has(const char* name) const { return text(name).has_value(); }

  std::optional<Setting> integer(const char* name) const {
    const auto value = text(name);
    if (!value) return std::nullopt;
    return Setting{parse_int(*value, name), fmt::format("{}={}", name, *value)};
  }

  /// The first of `names` that is set.
  std::optional<Setting> integer(std::initializer_list<const char*> names) const {
    for (const char* name : names) {
      if (auto setting = integer(name)) return setting;
    }
    return std::nullopt;
  }

  std::optional<std::pair<const char*, std::string>> first_text(
      std::initializer_list<const char*> names) const {
    for (const char* name : names) {
      if (auto value = text(name)) return std::pair{name, *value};
    }
    return std::nullopt;
  }

 private:
  static int parse_int(const std::string& text, const char* name) {
    long long parsed = 0;
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, parsed);
    SEGBENCH_CHECK(ec == std::errc{} && ptr == end, ConfigError,
                   "environment variable {}='{}' is not an integer", name, text);
    SEGBENCH_CHECK(parsed >= INT_MIN && parsed <= INT_MAX, ConfigError,
                   "environment variable {}='{}' is out of range for an int", name, text);
    return static_cast<int>(parsed);
  }

  const std::function<const char*(const char*)>& getenv_;
};

Setting required(const Environment& env, std::initializer_list<const char*> names,
                 std::string_view because) {
  auto setting = env.integer(names);
  if (!setting) {
    std::string wanted;
    for (const char* name : names) wanted += (wanted.empty() ? "" : " or ") + std::string(name);
    throw ConfigError(fmt::format("{} is set but {} is not", because, wanted));
  }
  return *setting;
}

Setting derived(int value, std::string_view how) {
  return Setting{value, fmt::format("{} {}", value, how)};
}

int ceil_div(int a, int b) {
  return static_cast<int>((static_cast<long long>(a) + b - 1) / b);
}

// The ranks, as read for one launcher, before the common checks.
struct Ranks {
  Setting rank, world, local_rank, local_world, nodes;
};

void check_ranks(Launcher launcher, const Ranks& r) {
  const auto name = launcher_name(launcher);
  SEGBENCH_CHECK(r.world.value >= 1, ConfigError, "{} launch: world size {} must be >= 1", name,
                 r.world.origin);
  SEGBENCH_CHECK(r.rank.value >= 0 && r.rank.value < r.world.value, ConfigError,
                 "{} launch: rank {} is out of range: expected 0 <= rank < world size {}", name,
                 r.rank.origin, r.world.origin);
  SEGBENCH_CHECK(r.local_world.value >= 1 && r.local_world.value <= r.world.value, ConfigError,
                 "{} launch: local world size {} must be in 1..world size {}", name,
                 r.local_world.origin, r.world.origin);
  SEGBENCH_CHECK(r.local_rank.value >= 0 && r.local_rank.value < r.local_world.value, ConfigError,
                 "{} launch: local rank {} is out of range: expected 0 <= local rank < local "
                 "world size {}",
                 name, r.local_rank.origin, r.local_world.origin);
  SEGBENCH_CHECK(r.nodes.value >= 1, ConfigError, "{} launch: node count {} must be >= 1", name,
                 r.nodes.origin);
}

// Rank and world plus what the launcher says about this node; what it leaves out is derived
// (no local size at all: every rank on one node).
Ranks with_local(const Setting& rank, const Setting& world, std::optional<Setting> local_rank,
                 std::optional<Setting> local_world, std::optional<Setting> nodes) {
  Ranks r{rank, world, derived(rank.value, "(= rank, one node assumed)"),
          derived(world.value, "(= world size, one node assumed)"),
          derived(1, "(one node assumed)")};
  if (local_world) {
    r.local_world = *local_world;
    if (local_world->value >= 1) {
      r.local_rank = derived(rank.value % local_world->value, "(rank % local world size)");
      r.nodes =
          derived(ceil_div(world.value, local_world->value), "(world size / local world size)");
    }
  } else if (local_rank) {
    r.local_world = derived(world.value, "(= world size)");
  }
  if (local_rank) r.local_rank = *local_rank;
  if (nodes) r.nodes = *nodes;
  return r;
}

Ranks read_torchrun(const Environment& env) {
  const bool has_rank = env.has("RANK");
  const bool has_world = env.has("WORLD_SIZE");
  SEGBENCH_CHECK(has_rank == has_world, ConfigError,
                 "{} is set but {} is not: set both RANK and WORLD_SIZE (torchrun style) or "
                 "neither",
                 has_rank ? fmt::format("RANK={}", *env.text("RANK"))
                          : fmt::format("WORLD_SIZE={}", *env.text("WORLD_SIZE")),
                 has_rank ? "WORLD_SIZE" : "RANK");
  return with_local(*env.integer("RANK"), *env.integer("WORLD_SIZE"), env.integer("LOCAL_RANK"),
                    env.integer("LOCAL_WORLD_SIZE"), env.integer("GROUP_WORLD_SIZE"));
}

Ranks read_openmpi(const Environment& env) {
  const Setting rank = *env.integer("OMPI_COMM_WORLD_RANK");
  const Setting world =
      required(env, {"OMPI_COMM_WORLD_SIZE"}, fmt::format("OpenMPI launch: {}", rank.origin));
  return with_local(rank, world, env.integer("OMPI_COMM_WORLD_LOCAL_RANK"),
                    env.integer("OMPI_COMM_WORLD_LOCAL_SIZE"), std::nullopt);
}

Ranks read_pmix(const Environment& env) {
  const Setting rank = *env.integer("PMIX_RANK");
  const Setting world = required(env, {"PMIX_SIZE", "PMI_SIZE"},
                                 fmt::format("PMIx launch: {} (world size unknown)", rank.origin));
  return with_local(rank, world, env.integer("PMIX_LOCAL_RANK"), env.integer("PMIX_LOCAL_SIZE"),
                    std::nullopt);
}

// "4(x2),3" → {4, 4, 3}.
std::vector<int> parse_tasks_per_node(const char* name, const std::string& value) {
  auto bad = [&](std::string_view why) {
    return ConfigError(
        fmt::format("{}='{}' is malformed: {} (expected e.g. '4(x2),3')", name, value, why));
  };
  auto parse_positive = [&](std::string_view digits) {
    int parsed = 0;
    const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), parsed);
    if (ec != std::errc{} || ptr != digits.data() + digits.size() || parsed < 1) {
      throw bad(fmt::format("'{}' is not a positive integer", digits));
    }
    return parsed;
  };
  std::vector<int> counts;
  const std::string_view text(value);
  std::size_t begin = 0;
  while (begin <= text.size()) {
    const std::size_t comma = std::min(text.find(',', begin), text.size());
    const std::string_view entry = text.substr(begin, comma - begin);
    const std::size_t paren = entry.find("(x");
    int repeat = 1;
    if (paren != std::string_view::npos) {
      if (entry.back() != ')') throw bad(fmt::format("'{}' has no closing ')'", entry));
      repeat = parse_positive(entry.substr(paren + 2, entry.size() - paren - 3));
    }
    const int tasks = parse_positive(entry.substr(0, paren));
    if (counts.size() + static_cast<std::size_t>(repeat) > kMaxHosts) {
      throw bad(fmt::format("more than {} nodes", kMaxHosts));
    }
    counts.insert(counts.end(), static_cast<std::size_t>(repeat), tasks);
    begin = comma + 1;
  }
  return counts;
}

struct SlurmRanks {
  Ranks ranks;
  int port = 0;  // 0: none derived
};

SlurmRanks read_slurm(const Environment& env) {
  const Setting rank = *env.integer("SLURM_PROCID");
  const Setting world =
      required(env, {"SLURM_NTASKS", "SLURM_NPROCS"}, fmt::format("Slurm launch: {}", rank.origin));
  Ranks r = with_local(rank, world, std::nullopt, std::nullopt, std::nullopt);
  const auto nodes = env.integer({"SLURM_STEP_NUM_NODES", "SLURM_NNODES", "SLURM_JOB_NUM_NODES"});
  if (nodes) r.nodes = *nodes;

  // Local world: explicit per-node count, else this node's entry of the compressed layout.
  std::optional<int> first_rank_on_node;
  if (auto per_node = env.integer("SLURM_NTASKS_PER_NODE")) {
    r.local_world = *per_node;
    if (!nodes && per_node->value >= 1) {
      r.nodes = derived(ceil_div(world.value, per_node->value), "(tasks / tasks per node)");
    }
  } else if (auto layout = env.first_text({"SLURM_STEP_TASKS_PER_NODE", "SLURM_TASKS_PER_NODE"})) {
    const auto& [name, value] = *layout;
    const std::vector<int> counts = parse_tasks_per_node(name, value);
    const std::string origin = fmt::format("{}='{}'", name, value);
    std::size_t node = 0;
    int before = 0;  // ranks on the nodes before `node`, block distribution
    if (auto node_id = env.integer("SLURM_NODEID")) {
      SEGBENCH_CHECK(
          node_id->value >= 0 && static_cast<std::size_t>(node_id->value) < counts.size(),
          ConfigError, "Slurm launch: {} is out of range for {} ({} nodes)", node_id->origin,
          origin, counts.size());
      node = static_cast<std::size_t>(node_id->value);
      for (std::size_t i = 0; i < node; ++i) before += counts[i];
    } else {
      while (node < counts.size() && before + counts[node] <= rank.value) before += counts[node++];
      SEGBENCH_CHECK(node < counts.size(), ConfigError,
                     "Slurm launch: {} lies beyond the {} tasks of {}", rank.origin, before,
                     origin);
    }
    r.local_world = derived(counts[node], fmt::format("(node {} of {})", node, origin));
    first_rank_on_node = before;
    if (!nodes) r.nodes = derived(static_cast<int>(counts.size()), origin);
  } else if (r.nodes.value >= 1) {
    r.local_world = derived(ceil_div(world.value, r.nodes.value), "(tasks / nodes)");
  }

  if (auto local_id = env.integer("SLURM_LOCALID")) {
    r.local_rank = *local_id;
  } else if (first_rank_on_node) {
    r.local_rank = derived(rank.value - *first_rank_on_node, "(rank - first rank on this node)");
  } else if (r.local_world.value >= 1) {
    r.local_rank = derived(rank.value % r.local_world.value, "(rank % local world size)");
  }

  SlurmRanks out{r, 0};
  if (auto job_id = env.integer("SLURM_JOB_ID")) {
    SEGBENCH_CHECK(job_id->value >= 0, ConfigError, "Slurm launch: {} must be >= 0",
                   job_id->origin);
    out.port = 20000 + job_id->value % 20000;
  }
  return out;
}

std::string local_host_name(const Environment& env) {
  if (auto name = env.first_text({"SLURMD_NODENAME", "HOSTNAME"})) return name->second;
  char buffer[256] = {};
  if (::gethostname(buffer, sizeof buffer - 1) == 0 && buffer[0] != '\0') return buffer;
  return "localhost";
}

}  // namespace

std::string_view launcher_name(Launcher launcher) {
  switch (launcher) {
    case Launcher::slurm:
      return "slurm";
    case Launcher::openmpi:
      return "openmpi";
    case Launcher::pmix:
      return "pmix";
    case Launcher::torchrun:
      return "torchrun";
    case Launcher::none:
      return "none";
  }
  return "unknown";
}

std::string LaunchEnv::describe() const {
  return fmt::format("{}: rank {}/{} (local {}/{}) on {}, master {}:{}, {} node{}",
                     launcher_name(launcher), rank, world_size, local_rank, local_world_size,
                     node_name, master_addr, master_port, num_nodes, num_nodes == 1 ? "" : "s");
}

std::vector<std::string> expand_slurm_nodelist(std::string_view list) {
  return NodelistParser{list}.expand();
}

LaunchEnv discover_launch_env(const std::function<const char*(const char*)>& getenv) {
  const Environment env(getenv);
  LaunchEnv out;
  Ranks ranks = with_local(derived(0, "(no launcher)"), derived(1, "(no launcher)"), std::nullopt,
                           std::nullopt, std::nullopt);

  if (env.has("RANK") || env.has("WORLD_SIZE")) {
    out.launcher = Launcher::torchrun;
    ranks = read_torchrun(env);
  } else if (env.has("OMPI_COMM_WORLD_RANK")) {
    out.launcher = Launcher::openmpi;
    ranks = read_openmpi(env);
  } else if (env.has("SLURM_PROCID")) {
    out.launcher = Launcher::slurm;
    const SlurmRanks slurm = read_slurm(env);
    ranks = slurm.ranks;
    if (slurm.port != 0) out.master_port = slurm.port;
    if (auto nodelist =
            env.first_text({"SLURM_STEP_NODELIST", "SLURM_JOB_NODELIST", "SLURM_NODELIST"})) {
      const auto hosts = expand_slurm_nodelist(nodelist->second);
      SEGBENCH_CHECK(!hosts.empty(), ConfigError, "Slurm launch: {}='{}' names no host",
                     nodelist->first, nodelist->second);
      out.master_addr = hosts.front();
    }
  } else if (env.has("PMIX_RANK")) {
    out.launcher = Launcher::pmix;
    ranks = read_pmix(env);
  }
  check_ranks(out.launcher, ranks);

  if (auto addr = env.text("MASTER_ADDR")) out.master_addr = *addr;
  if (auto port = env.integer("MASTER_PORT")) {
    SEGBENCH_CHECK(port->value >= 1 && port->value <= 65535, ConfigError,
                   "{} is not a TCP port (expected 1..65535)", port->origin);
    out.master_port = port->value;
  }

  out.rank = ranks.rank.value;
  out.world_size = ranks.world.value;
  out.local_rank = ranks.local_rank.value;
  out.local_world_size = ranks.local_world.value;
  out.num_nodes = ranks.nodes.value;
  out.node_name = local_host_name(env);
  return out;
}

}  // namespace segbench
