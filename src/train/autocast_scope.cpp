#include "segbench/train/autocast_scope.hpp"

#include "segbench/detail/torch_compat.hpp"

namespace segbench {

AutocastScope::AutocastScope(c10::DeviceType device, bool enabled)
    : device_(device), enabled_(enabled) {
  if (enabled_) detail::set_autocast(device_, true, at::kBFloat16);
}

AutocastScope::~AutocastScope() {
  if (enabled_) detail::set_autocast(device_, false);
}

}  // namespace segbench
