#pragma once
// Bad input is reported as one line naming the file and the key (DESIGN.md §5); app/ maps
// these exceptions to exit code 2. Library and program failures are other std::exceptions.
#include <stdexcept>
#include <string>

namespace pgdx {

class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A configuration value is unknown, of the wrong type, or out of range.
class ConfigError : public InputError {
 public:
  ConfigError(const std::string& file, const std::string& key, const std::string& problem)
      : InputError(file + ": " + (key.empty() ? std::string() : "key '" + key + "': ") + problem),
        file_(file),
        key_(key),
        problem_(problem) {}
  const std::string& file() const { return file_; }
  const std::string& key() const { return key_; }
  const std::string& problem() const { return problem_; }

 private:
  std::string file_;
  std::string key_;
  std::string problem_;
};

// Writing a file failed for a reason of the operating system (disk full, I/O error, permission
// lost): what() is one line naming the file and the OS error. Not bad input (exit 1, not 2), but a
// clean end: the run stops on every rank and its last checkpoint stays readable.
class IoError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A data file is missing, truncated, or not what it claims to be.
class DataError : public InputError {
 public:
  DataError(const std::string& file, const std::string& problem) : InputError(file + ": " + problem) {}
};

}  // namespace pgdx
