// task.data_dir: where a relative data directory is looked for (task/data_dir.hpp), in a scratch
// tree shaped like the repository: ROOT/.git, ROOT/jobs/job.toml, ROOT/data/mnist.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>

#include "pgdx/task/data_dir.hpp"
#include "pgdx/util/errors.hpp"

using namespace pgdx;
namespace fs = std::filesystem;

namespace {

// Sets (or unsets) PGDX_DATA_DIR for one scope, restoring what the environment had.
class DataDirVariable {
 public:
  explicit DataDirVariable(const std::optional<std::string>& value) {
    if (const char* old = std::getenv("PGDX_DATA_DIR")) old_ = old;
    if (value) setenv("PGDX_DATA_DIR", value->c_str(), 1);
    else unsetenv("PGDX_DATA_DIR");
  }
  ~DataDirVariable() {
    if (old_) setenv("PGDX_DATA_DIR", old_->c_str(), 1);
    else unsetenv("PGDX_DATA_DIR");
  }

 private:
  std::optional<std::string> old_;
};

// One per test case (ctest runs them in parallel): `name` keeps their trees apart.
struct ScratchRepository {
  fs::path root, job;
  explicit ScratchRepository(const std::string& name)
      : root(fs::temp_directory_path() / ("pgdx_data_dir_" + name) / "repo"), job(root / "jobs" / "job.toml") {
    fs::remove_all(root.parent_path());
    fs::create_directories(root / ".git");
    fs::create_directories(root / "jobs");
    fs::create_directories(root / "data" / "mnist");
    std::ofstream(job) << "\n";
  }
  ~ScratchRepository() { fs::remove_all(root.parent_path()); }
};

}  // namespace

TEST_CASE("data_dir: the job file's directory and its parents up to the repository root, then the working directory",
          "[task][data_dir]") {
  const ScratchRepository repo("search");
  const DataDirVariable unset(std::nullopt);
  const std::string cwd = (fs::current_path() / "data" / "mnist").lexically_normal().string();
  CHECK(task::data_dir_candidates("data/mnist", repo.job.string()) ==
        std::vector<std::string>{(repo.root / "jobs" / "data" / "mnist").string(),
                                 (repo.root / "data" / "mnist").string(), cwd});
  CHECK(task::find_data_dir("data/mnist", repo.job.string(), "") == (repo.root / "data" / "mnist").string());
  // An absolute path is the one place; a relative one not found names every place looked.
  CHECK(task::data_dir_candidates("/x/y", repo.job.string()) == std::vector<std::string>{"/x/y"});
  try {
    task::find_data_dir("nowhere", repo.job.string(), "fetch it");
    FAIL("no error");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()) == repo.job.string() + ": key 'task.data_dir': 'nowhere' is not a directory at " +
                                       (repo.root / "jobs" / "nowhere").string() + ", " +
                                       (repo.root / "nowhere").string() + ", " +
                                       (fs::current_path() / "nowhere").lexically_normal().string() + " (fetch it)");
  }
}

TEST_CASE("data_dir: PGDX_DATA_DIR is then the one place a relative data_dir is looked for", "[task][data_dir]") {
  const ScratchRepository repo("variable");
  const DataDirVariable set((repo.root / "elsewhere").string());
  CHECK(task::data_dir_candidates("data/mnist", repo.job.string()) ==
        std::vector<std::string>{(repo.root / "elsewhere" / "data" / "mnist").string()});
  CHECK_THROWS_WITH(task::find_data_dir("data/mnist", repo.job.string(), "fetch it"),
                    Catch::EndsWith("elsewhere/data/mnist (only there, as PGDX_DATA_DIR is set)"));
  fs::create_directories(repo.root / "elsewhere" / "data" / "mnist");
  CHECK(task::find_data_dir("data/mnist", repo.job.string(), "") ==
        (repo.root / "elsewhere" / "data" / "mnist").string());
  CHECK(task::find_data_dir((repo.root / "data" / "mnist").string(), repo.job.string(), "") ==
        (repo.root / "data" / "mnist").string());  // an absolute data_dir ignores it
}
