#include "pgdx/task/task.hpp"

#include <stdexcept>

#include "pgdx/task/mnist.hpp"
#include "pgdx/task/regression1d.hpp"

namespace pgdx::task {

void TaskOptions::validate() const {
  if (name != "regression1d" && name != "mnist")
    throw std::invalid_argument("task.name: must be one of regression1d|mnist");
  if (points < 4) throw std::invalid_argument("task.points: must be >= 4");
  if (train_per_class < 1) throw std::invalid_argument("task.train_per_class: must be >= 1");
}

std::pair<std::size_t, std::size_t> task_dimensions(const TaskOptions& options) {
  if (options.name == "mnist") return {784, 10};
  return {1, 1};
}

std::size_t training_set_size(const TaskOptions& options) {
  return options.name == "mnist" ? 10 * options.train_per_class : options.points;
}

std::unique_ptr<Task> make_task(const TaskOptions& options, std::uint64_t seed) {
  if (options.name == "mnist") return std::make_unique<Mnist>(options.data_dir, options.train_per_class, seed);
  return std::make_unique<Regression1d>(options.points);
}

}  // namespace pgdx::task
