#include "segbench/recipes/common/data_check_on_rank0.hpp"

#include <ATen/ops/empty.h>
#include <ATen/ops/tensor.h>
#include <fmt/format.h>

#include <cstdint>
#include <cstring>
#include <exception>
#include <string>

#include "segbench/error.hpp"
#include "segbench/recipes/common/data_check.hpp"

namespace segbench {

void require_valid_data_on_rank0(AnyContext& ctx, const std::function<prep::VerifyReport()>& verify,
                                 const std::filesystem::path& dir) {
  std::string verdict;  // rank 0's message; "" = the data passed
  std::exception_ptr failure;
  if (ctx.rank() == 0) {
    try {
      verdict = data_problems(verify(), dir);
    } catch (const std::exception& e) {
      // Still broadcast, so that the other ranks stop with the reason instead of timing out.
      failure = std::current_exception();
      verdict = e.what();
    }
  }
  if (ctx.world_size() > 1) {
    at::Tensor length = at::tensor({static_cast<std::int64_t>(verdict.size())}, at::kLong);
    ctx.broadcast(length, 0);
    const std::int64_t bytes = length.item<std::int64_t>();
    if (bytes > 0) {
      at::Tensor text = at::empty({bytes}, at::kByte);
      if (ctx.rank() == 0)
        std::memcpy(text.data_ptr<std::uint8_t>(), verdict.data(), verdict.size());
      ctx.broadcast(text, 0);
      verdict.assign(reinterpret_cast<const char*>(text.data_ptr<std::uint8_t>()),
                     static_cast<std::size_t>(bytes));
    }
  }
  if (failure) std::rethrow_exception(failure);
  if (verdict.empty()) return;
  if (ctx.rank() == 0) throw DataError(verdict);
  throw DataError(fmt::format("rank {}/{}: rank 0's start-up data check failed: {}", ctx.rank(),
                              ctx.world_size(), verdict));
}

}  // namespace segbench
