#include "pgdx/task/data_dir.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "pgdx/util/errors.hpp"

namespace pgdx::task {
namespace fs = std::filesystem;

namespace {

fs::path absolute_normal(const fs::path& path) { return fs::absolute(path).lexically_normal(); }

// PGDX_DATA_DIR (`root`) is the one place a relative data_dir is looked for.
bool relative_to_env(const std::string& data_dir, const char* root) {
  return root && *root && !fs::path(data_dir).is_absolute();
}

}  // namespace

std::vector<std::string> data_dir_candidates(const std::string& data_dir, const std::string& job_file) {
  const fs::path relative(data_dir);
  if (relative.is_absolute()) return {absolute_normal(relative).string()};
  std::vector<std::string> places;
  const auto add = [&](const fs::path& base) {
    const std::string place = absolute_normal(base / relative).string();
    if (std::find(places.begin(), places.end(), place) == places.end()) places.push_back(place);
  };
  if (const char* root = std::getenv("PGDX_DATA_DIR"); relative_to_env(data_dir, root)) {
    add(root);
    return places;
  }
  if (!job_file.empty()) {
    std::error_code error;
    for (fs::path dir = absolute_normal(job_file).parent_path();; dir = dir.parent_path()) {
      add(dir);
      if (fs::exists(dir / ".git", error) || dir == dir.parent_path()) break;
    }
  }
  add(fs::current_path());
  return places;
}

std::string find_data_dir(const std::string& data_dir, const std::string& job_file, const std::string& hint) {
  const std::vector<std::string> places = data_dir_candidates(data_dir, job_file);
  std::error_code error;
  for (const std::string& place : places)
    if (fs::is_directory(place, error)) return place;
  std::string looked;
  for (const std::string& place : places) looked += (looked.empty() ? "" : ", ") + place;
  const char* root = std::getenv("PGDX_DATA_DIR");
  const std::string how = relative_to_env(data_dir, root) ? "only there, as PGDX_DATA_DIR is set" : hint;
  throw ConfigError(job_file.empty() ? std::string("config") : job_file, "task.data_dir",
                    "'" + data_dir + "' is not a directory at " + looked + " (" + how + ")");
}

}  // namespace pgdx::task
