#pragma once
// An empty folder per test and process under the system's temp dir (tests run in parallel
// processes: the pid keeps them apart).
#include <unistd.h>

#include <filesystem>
#include <string>

namespace pgdx::test {

inline std::filesystem::path fresh_dir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("pgdx_test_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace pgdx::test
