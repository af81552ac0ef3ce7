#include "pgdx/task/task_registry.hpp"

#include <stdexcept>

namespace pgdx::task {

// One line per task; its entry function lives in the task's own file.
#define PGDX_TASKS(X) X(regression1d) X(regression2d) X(pinn_poisson) X(mnist) X(modular_mlp) X(polynomial_teacher) \
  X(modular_addition_sequence)

#define PGDX_DECLARE_TASK(name) TaskEntry name##_entry();
PGDX_TASKS(PGDX_DECLARE_TASK)
#undef PGDX_DECLARE_TASK

const std::vector<TaskEntry>& task_registry() {
#define PGDX_TASK_ENTRY(name) name##_entry(),
  static const std::vector<TaskEntry> entries = {PGDX_TASKS(PGDX_TASK_ENTRY)};
#undef PGDX_TASK_ENTRY
  return entries;
}

TaskEntry grid_points_entry(const std::string& name, std::size_t default_points) {
  TaskEntry e;
  e.name = name;
  e.keys = {{"points", &TaskOptions::points}};
  e.resolve_defaults = [default_points](TaskOptions& o) {
    if (o.points == 0) o.points = default_points;
  };
  e.validate = [](const TaskOptions& o) {
    if (o.points < 4) throw std::invalid_argument("task.points: must be >= 4");
  };
  return e;
}

std::string task_names() {
  std::string out;
  for (const TaskEntry& entry : task_registry()) out += (out.empty() ? "" : "|") + entry.name;
  return out;
}

const TaskEntry& find_task(const std::string& name) {
  for (const TaskEntry& entry : task_registry())
    if (entry.name == name) return entry;
  throw std::invalid_argument("task.name: must be one of " + task_names());
}

}  // namespace pgdx::task
