#pragma once
// A sweep: a run config whose [sweep] table lists keys with value lists. The grid is their
// Cartesian product; keys are ordered lexicographically by their full dotted name and the LAST
// key varies fastest (point k's index in key i is (k / Π_{j>i} |values_j|) mod |values_i|).
//
//   [sweep]                      # either form
//   optimizer.name = ["sgd", "lm"]
//   "run.seed" = [0, 1, 2]
//
// A `--set` of a swept key replaces its list by that single value; other `--set`s apply to every
// point. Each point is the base config plus its key=value overrides and run.name = point_name(k).
#include <string>
#include <vector>

#include "pgdx/io/run_config.hpp"

namespace pgdx::io {

class SweepSpec {
 public:
  std::size_t count() const;
  const std::vector<std::string>& keys() const { return keys_; }
  std::vector<std::string> point_overrides(std::size_t k) const;  // "key=value" per swept key
  // "<stem>__key-value__…", unique per point; the file is OUT/<name>.h5.
  std::string point_name(std::size_t k) const;
  RunConfig point_config(std::size_t k) const;  // throws ConfigError naming the point
  const std::string& file() const { return file_; }
  std::string stem() const;

  friend SweepSpec load_sweep(const std::string& path, const std::vector<std::string>& overrides);

 private:
  std::string file_, base_toml_, prefix_;
  std::vector<std::string> common_overrides_;
  std::vector<std::string> keys_;
  std::vector<std::vector<std::string>> values_;  // TOML literals
};

// Reads the file and the overrides and validates EVERY grid point (so a bad value is reported
// before any task runs). Throws ConfigError.
SweepSpec load_sweep(const std::string& path, const std::vector<std::string>& overrides = {});

}  // namespace pgdx::io
