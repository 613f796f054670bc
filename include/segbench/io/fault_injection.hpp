// Injected write failures for the reliability tests, so that a full disk can be simulated
// without root or a small file system. SEGBENCH_FAULT_INJECT holds comma-separated entries:
//   write_fail:<text>    every write to a file whose final path contains <text> fails (ENOSPC)
//   disk_budget:<bytes>  segbench's writers may write <bytes> in all in this process; the write
//                        that crosses the budget writes up to it and then fails (ENOSPC), as a
//                        disk that fills up would
// (checkpoint_write_kill:N and checkpoint_write_fail:N are read by the checkpoint writer.)
#pragma once

#include <cstddef>
#include <filesystem>

namespace segbench::io {

/// How many of the next `bytes` bytes for the file that will be named `path` may be written
/// before an injected ENOSPC: `bytes` when nothing is injected. What it allows is counted
/// against disk_budget. The budget restarts when SEGBENCH_FAULT_INJECT changes.
std::size_t injected_write_allowance(const std::filesystem::path& path, std::size_t bytes);

}  // namespace segbench::io
