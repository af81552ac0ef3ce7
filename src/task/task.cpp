#include "pgdx/task/task.hpp"

#include "pgdx/task/task_registry.hpp"

namespace pgdx::task {

std::unique_ptr<Task> make_task(const TaskOptions& options, std::uint64_t seed) {
  return find_task(options.name).make(options, seed);
}

}  // namespace pgdx::task
