#include "segbench/models/flop_count.hpp"

#include <ATen/record_function.h>

#include <array>
#include <cstring>
#include <memory>
#include <string>

#include "segbench/error.hpp"

namespace segbench {
namespace {

// RecordFunction callbacks are plain function pointers: the running count is thread-local.
thread_local int64_t* counted = nullptr;

int64_t product(c10::IntArrayRef sizes, std::size_t from = 0) {
  int64_t p = 1;
  for (std::size_t d = from; d < sizes.size(); ++d) p *= sizes[d];
  return p;
}

template <class Values>  // inputs(): an ArrayRef; outputs(): a vector
const at::Tensor* tensor_at(const Values& values, std::size_t i) {
  if (i >= values.size() || !values[i].isTensor()) return nullptr;
  return &values[i].toTensor();
}

// A convolution's weight size and batch, from its inputs, for the end callback, which knows
// the output's positions.
struct ConvolutionStart : at::ObserverContext {
  int64_t weight_elements = 0;
};

// At the start of an op: its inputs are valid only here (LibTorch 2.x points them at the
// caller's stack). Products and transposed convolutions are counted from the inputs alone.
std::unique_ptr<at::ObserverContext> count_op_start(const at::RecordFunction& fn) {
  if (counted == nullptr) return nullptr;
  const std::string_view name = fn.name();
  const auto inputs = fn.inputs();
  if (name == "aten::convolution") {
    // convolution(input, weight, bias, stride, padding, dilation, transposed, ...)
    const at::Tensor* input = tensor_at(inputs, 0);
    const at::Tensor* weight = tensor_at(inputs, 1);
    if (!input || !weight || inputs.size() < 7) return nullptr;
    // Each weight element multiplies once per batch element and per position of the side
    // the kernel slides over: the input (transposed) or the output (forward, at the end).
    if (inputs[6].isBool() && inputs[6].toBool()) {
      *counted += 2 * weight->numel() * input->size(0) * product(input->sizes(), 2);
      return nullptr;
    }
    auto start = std::make_unique<ConvolutionStart>();
    start->weight_elements = weight->numel();
    return start;
  }
  const bool mm = name == "aten::mm" || name == "aten::bmm";
  const bool add = name == "aten::addmm" || name == "aten::baddbmm";
  if (!mm && !add) return nullptr;
  const at::Tensor* a = tensor_at(inputs, add ? 1 : 0);
  const at::Tensor* b = tensor_at(inputs, add ? 2 : 1);
  if (!a || !b || a->dim() < 2 || b->dim() < 2) return nullptr;
  // (..., n, k) × (..., k, m): 2 n k m per matrix of the batch.
  *counted += 2 * product(a->sizes()) * b->size(-1);
  return nullptr;
}

void count_op_end(const at::RecordFunction& fn, at::ObserverContext* context) {
  if (counted == nullptr || context == nullptr) return;
  const auto* start = static_cast<const ConvolutionStart*>(context);
  const at::Tensor* output = tensor_at(fn.outputs(), 0);
  if (!output || output->dim() < 2) return;
  *counted += 2 * start->weight_elements * output->size(0) * product(output->sizes(), 2);
}

}  // namespace

int64_t forward_flops(const std::function<void()>& forward) {
  SEGBENCH_CHECK(counted == nullptr, ConfigError, "forward_flops: already counting on this thread");
  int64_t total = 0;
  counted = &total;
  const auto handle =
      at::addThreadLocalCallback(at::RecordFunctionCallback(count_op_start, count_op_end)
                                     .needsInputs(true)
                                     .needsOutputs(true)
                                     .scopes({at::RecordScope::FUNCTION}));
  try {
    forward();
  } catch (...) {
    at::removeCallback(handle);
    counted = nullptr;
    throw;
  }
  at::removeCallback(handle);
  counted = nullptr;
  return total;
}

std::optional<DevicePeak> device_peak(std::string_view device_name) {
  struct Entry {
    std::string_view match;  // a substring of the CUDA device name
    DevicePeak peak;
  };
  // Dense figures: half of the data sheets' "with sparsity" tensor-core peaks. NVIDIA H100
  // Tensor Core GPU data sheet (SXM / PCIe / NVL columns) and NVIDIA H200 Tensor Core GPU data
  // sheet (SXM / NVL). Most specific names first.
  static constexpr std::array<Entry, 5> kPeaks{{
      {"H100 PCIe", {"H100 PCIe", 756.5e12, 378.0e12}},
      {"H100 NVL", {"H100 NVL", 835.5e12, 417.5e12}},
      {"H200 NVL", {"H200 NVL", 835.5e12, 417.5e12}},
      {"H100", {"H100 SXM5", 989.4e12, 494.7e12}},
      {"H200", {"H200 SXM", 989.4e12, 494.7e12}},
  }};
  for (const Entry& e : kPeaks) {
    if (device_name.find(e.match) != std::string_view::npos) return e.peak;
  }
  return std::nullopt;
}

}  // namespace segbench
