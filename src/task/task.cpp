#include "pgdx/task/task.hpp"

#include <stdexcept>

#include "pgdx/task/regression1d.hpp"

namespace pgdx::task {

void TaskOptions::validate() const {
  if (name != "regression1d") throw std::invalid_argument("task.name: must be one of regression1d");
  if (points < 4) throw std::invalid_argument("task.points: must be >= 4");
}

std::unique_ptr<Task> make_task(const TaskOptions& options, std::uint64_t /*seed: data stream, for tasks that draw*/) {
  return std::make_unique<Regression1d>(options.points);
}

}  // namespace pgdx::task
