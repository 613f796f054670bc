// Transforms are callables `Sample operator()(Sample, Rng&) const`; Compose chains them and
// names the failing step and case in errors (tensor tier).
#pragma once

#include "segbench/concepts/dataset.hpp"
#include "segbench/transforms/rng.hpp"

#include <concepts>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace segbench {

template <class T>
concept Transform = requires(const T& t, Sample s, Rng& rng) {
  { t(std::move(s), rng) } -> std::same_as<Sample>;
};

using TransformFn = std::function<Sample(Sample, Rng&)>;

/// The name used in Compose's errors: T::name when the transform declares one.
template <class T>
std::string transform_name() {
  if constexpr (requires { std::string_view{T::name}; }) {
    return std::string(T::name);
  } else {
    return "transform";
  }
}

class Compose {
 public:
  Compose() = default;
  template <Transform... Ts>
  explicit Compose(Ts... steps) {
    (add(transform_name<Ts>(), TransformFn(std::move(steps))), ...);
  }

  Compose& add(std::string name, TransformFn step);
  template <Transform T>
  Compose& add(T step) {
    return add(transform_name<T>(), TransformFn(std::move(step)));
  }

  /// Applies every step in order. A step that throws is reported as DataError
  /// "transform <name> on <case_id>: <message> (image [..], label [..])".
  Sample operator()(Sample sample, Rng& rng) const;

  std::size_t size() const { return steps_.size(); }
  std::vector<std::string> names() const;

 private:
  std::vector<std::pair<std::string, TransformFn>> steps_;
};

}  // namespace segbench
