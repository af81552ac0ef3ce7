#pragma once
// Where a task's data directory (task.data_dir) is. An absolute path is taken as it is; a relative
// one is looked for, in order, as
//   1. $PGDX_DATA_DIR/<data_dir> when PGDX_DATA_DIR is set (and not empty), and then only there: a
//      variable set says where the data is, and a wrong one fails rather than finding another copy;
//   2. <dir>/<data_dir> for the job file's directory and each of its parents, up to the repository
//      root (the first directory with a .git entry) or the filesystem root: jobs/x.toml finds the
//      repository's data/mnist from any working directory;
//   3. <working directory>/<data_dir>.
// The first that is a directory is used. Run files record it (root attribute `data_dir`); the
// stored config keeps what the user wrote, so a resume looks again by the same rule.
#include <string>
#include <vector>

namespace pgdx::task {

// The places looked, in order, absolute and without repeats.
std::vector<std::string> data_dir_candidates(const std::string& data_dir, const std::string& job_file);

// The first candidate that is a directory. Throws ConfigError (job_file, key task.data_dir) naming
// every place looked, with `hint` (how to get the data) unless PGDX_DATA_DIR chose the place.
std::string find_data_dir(const std::string& data_dir, const std::string& job_file, const std::string& hint);

}  // namespace pgdx::task
