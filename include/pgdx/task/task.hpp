#pragma once
// A task owns the data of one study and says which diagnostics make sense for it.
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "pgdx/task/dataset.hpp"

namespace pgdx::task {

struct TaskOptions {
  std::string name = "regression1d";
  std::size_t points = 100;          // regression1d: grid size n
  std::size_t train_per_class = 100; // mnist: training digits per class (the rest is the test set)
  std::string data_dir = "data/mnist";  // mnist: the digit files (scripts/fetch_mnist.sh)
  void validate() const;     // throws std::invalid_argument("task.<key>: …")
};

// Input and output widths a model for this task needs (known without loading any data).
std::pair<std::size_t, std::size_t> task_dimensions(const TaskOptions& options);
// Training samples the task will have (also without loading data).
std::size_t training_set_size(const TaskOptions& options);

class Task {
 public:
  virtual ~Task() = default;
  virtual std::string name() const = 0;
  virtual const Dataset& train() const = 0;
  virtual const Dataset* test() const { return nullptr; }
  // True when the training inputs are a uniform 1-D grid in order, so the residual's DFT is the
  // spectral error of EXPERIMENTS.md §0.6.
  virtual bool train_is_uniform_1d_grid() const { return false; }
  // Targets are one-hot classes: accuracy = argmax of the output vs argmax of the target.
  virtual bool classification() const { return false; }
};

std::unique_ptr<Task> make_task(const TaskOptions& options, std::uint64_t seed);

}  // namespace pgdx::task
