#include "segbench/run/run_main.hpp"

#include <c10/util/Exception.h>
#include <fmt/core.h>

#include <exception>

#include "segbench/error.hpp"

namespace segbench {

int run_driver(const char* driver_name, const std::function<int()>& body) {
  try {
    return body();
  } catch (const EarlyExit& e) {
    return e.exit_code;
  } catch (const Error& e) {
    fmt::print(stderr, "{}: error: {}\n", driver_name, e.what());
  } catch (const c10::Error& e) {
    fmt::print(stderr, "{}: torch error: {}\n", driver_name, e.what_without_backtrace());
  } catch (const std::exception& e) {
    fmt::print(stderr, "{}: error: {}\n", driver_name, e.what());
  }
  return 2;
}

}  // namespace segbench
