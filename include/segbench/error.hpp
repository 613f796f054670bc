// segbench's one error hierarchy and its check macro. No torch here.
#pragma once

#include <fmt/core.h>

#include <stdexcept>
#include <string>

namespace segbench {

/// Base of every error segbench throws on purpose.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Bad, missing or corrupt input data (the message names the file).
class DataError : public Error {
 public:
  using Error::Error;
};

/// Invalid configuration or command-line options.
class ConfigError : public Error {
 public:
  using Error::Error;
};

/// A collective failed, a peer vanished or ranks disagree (the message names the rank).
class DistributedError : public Error {
 public:
  using Error::Error;
};

/// Training went wrong numerically (NaN/Inf loss) or a checkpoint is unusable.
class TrainingError : public Error {
 public:
  using Error::Error;
};

/// Not an error: the program should end now with `exit_code`, its output already printed
/// (e.g. --help). Library code throws it instead of calling std::exit; run_driver() returns
/// the code.
struct EarlyExit {
  int exit_code = 0;
};

}  // namespace segbench

/// Throws `ErrorType` with an fmt-formatted message when `cond` is false.
/// Messages should name the file or rank and say expected vs found.
#define SEGBENCH_CHECK(cond, ErrorType, ...)                \
  do {                                                      \
    if (!(cond)) throw ErrorType(fmt::format(__VA_ARGS__)); \
  } while (false)
