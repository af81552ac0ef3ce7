#pragma once
// A sweep: a run config whose [sweep] table lists keys with value lists. The grid is their
// Cartesian product; keys are ordered lexicographically by their full dotted name and the LAST
// key varies fastest (point k's index in key i is (k / Π_{j>i} |values_j|) mod |values_i|).
//
//   [sweep]                      # either form
//   optimizer.name = ["sgd", "lm"]
//   "run.seed" = [0, 1, 2]
//   task.frequency = [[1, 1], [3, 3]]                                  # array values
//   optimizer = [{name = "sgd", lr = 1e-3}, {name = "lm", lr = 1e-1}]  # linked: keys set together
//
// A list of inline tables is ONE axis: each entry sets all its keys at once (an optimizer with
// its own rate), instead of a product over them.
// A `--set` of a swept key replaces its list by that single value; other `--set`s apply to every
// point. Each point is the base config plus its key=value overrides and run.name = point_name(k).
#include <string>
#include <vector>

#include "pgdx/io/run_config.hpp"

namespace pgdx::io {

// One entry of an axis: the key=value overrides it applies and its name in file names.
struct SweepValue {
  std::vector<std::string> assignments;
  std::string label;
};

class SweepSpec {
 public:
  std::size_t count() const;
  const std::vector<std::string>& keys() const { return keys_; }
  std::vector<std::string> point_overrides(std::size_t k) const;  // "key=value", every key the point sets
  // "<stem>__key-label__…" (label: the value, or a linked entry's values joined by '_'), unique per
  // point; the file is OUT/<name>.h5.
  std::string point_name(std::size_t k) const;
  RunConfig point_config(std::size_t k) const;  // throws ConfigError naming the point
  const std::string& file() const { return file_; }
  std::string stem() const;

  friend SweepSpec load_sweep(const std::string& path, const std::vector<std::string>& overrides);

 private:
  std::string file_, base_toml_, prefix_;
  std::vector<std::string> common_overrides_;
  std::vector<std::string> keys_;
  std::vector<const SweepValue*> point_values(std::size_t k) const;
  std::vector<std::vector<SweepValue>> values_;
};

// Reads the file and the overrides and validates EVERY grid point (so a bad value is reported
// before any task runs). Throws ConfigError.
SweepSpec load_sweep(const std::string& path, const std::vector<std::string>& overrides = {});

}  // namespace pgdx::io
