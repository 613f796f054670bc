// The drivers' shared main(): runs the body and turns every escaping error into one line
// "<driver>: error: ..." on stderr and exit code 2 (0/1 are the body's: target reached or not).
#pragma once

#include <functional>

namespace segbench {

int run_driver(const char* driver_name, const std::function<int()>& body);

}  // namespace segbench
