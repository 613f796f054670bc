#include "segbench/transforms/compose.hpp"
#include "segbench/detail/shape_text.hpp"

#include "segbench/error.hpp"

#include <c10/util/Exception.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

namespace segbench {

Compose& Compose::add(std::string name, TransformFn step) {
  steps_.emplace_back(std::move(name), std::move(step));
  return *this;
}

std::vector<std::string> Compose::names() const {
  std::vector<std::string> out;
  for (const auto& [name, step] : steps_) out.push_back(name);
  return out;
}

namespace {

std::string shape_of(const at::Tensor& t) {
  if (!t.defined()) return "undefined";
  return detail::shape_text(t.sizes());
}

}  // namespace

Sample Compose::operator()(Sample sample, Rng& rng) const {
  for (const auto& [name, step] : steps_) {
    // Tensor handles are cheap to copy; they keep the input shapes for the error message.
    const at::Tensor image_in = sample.image;
    const at::Tensor label_in = sample.label;
    const std::string case_id = sample.case_id;
    std::string message;
    try {
      sample = step(std::move(sample), rng);
      continue;
    } catch (const c10::Error& e) {
      message = e.what_without_backtrace();
    } catch (const std::exception& e) {
      message = e.what();
    }
    throw DataError(fmt::format("transform {} on {}: {} (image {}, label {})", name, case_id,
                                message, shape_of(image_in), shape_of(label_in)));
  }
  return sample;
}

}  // namespace segbench
