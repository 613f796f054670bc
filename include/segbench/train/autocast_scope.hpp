// bf16 autocast on one device type for a scope (a no-op when off). Autocast is thread-local
// state, so the scope covers exactly the forward passes run inside it on this thread.
#pragma once

#include <c10/core/DeviceType.h>

namespace segbench {

class AutocastScope {
 public:
  AutocastScope(c10::DeviceType device, bool enabled);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  c10::DeviceType device_;
  bool enabled_;
};

}  // namespace segbench
