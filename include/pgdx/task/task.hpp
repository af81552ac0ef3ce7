#pragma once
// A task owns the data of one study and says which diagnostics make sense for it.
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>

#include "pgdx/task/dataset.hpp"

namespace pgdx::task {

struct TaskOptions {
  std::string name = "regression1d";
  std::size_t points = 100;  // regression1d: grid size n
  void validate() const;     // throws std::invalid_argument("task.<key>: …")
};

class Task {
 public:
  virtual ~Task() = default;
  virtual std::string name() const = 0;
  virtual const Dataset& train() const = 0;
  virtual const Dataset* test() const { return nullptr; }
  // True when the training inputs are a uniform 1-D grid in order, so the residual's DFT is the
  // spectral error of EXPERIMENTS.md §0.6.
  virtual bool train_is_uniform_1d_grid() const { return false; }
};

std::unique_ptr<Task> make_task(const TaskOptions& options, std::uint64_t seed);

}  // namespace pgdx::task
