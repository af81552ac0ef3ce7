#pragma once
// Every task is one entry: its keys, their defaults and validation, the model widths it needs,
// its training-set size, its residual kind and whether its targets are classes — all known
// without loading data — and how to build it. The config reader, the compatibility check and
// `pgdx plan` ask the entry; nothing switches on task names. Adding a task: one file with the
// task and its entry, and one line in src/task/task_registry.cpp (docs/architecture.md).
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "pgdx/task/residual_kind.hpp"
#include "pgdx/task/task.hpp"
#include "pgdx/task/task_options.hpp"

namespace pgdx::task {

// A task.* key and the TaskOptions field it fills (counts are integers ≥ 1).
using TaskField = std::variant<std::size_t TaskOptions::*, double TaskOptions::*, std::string TaskOptions::*,
                               std::vector<std::size_t> TaskOptions::*>;
struct TaskKey {
  std::string name;  // without the "task." prefix
  TaskField field;
};

struct TaskEntry {
  std::string name;
  std::vector<TaskKey> keys;
  // Fills defaults that depend on the task (e.g. its grid size); called before validate().
  std::function<void(TaskOptions&)> resolve_defaults = [](TaskOptions&) {};
  // Throws std::invalid_argument("task.<key>: <constraint>").
  std::function<void(const TaskOptions&)> validate = [](const TaskOptions&) {};
  std::function<std::pair<std::size_t, std::size_t>(const TaskOptions&)> dimensions;  // model inputs, outputs
  std::function<std::size_t(const TaskOptions&)> training_size;
  ResidualKind residual_kind = ResidualKind::output_minus_target;
  bool classification = false;  // one-hot class targets: accuracy, cross-entropy
  bool token_sequence = false;  // x holds token ids (one row per position), for sequence models
  std::function<std::unique_ptr<Task>(const TaskOptions&, std::uint64_t seed)> make;
};

// The start of an entry for a task on a grid whose one key is task.points (≥ 4, default
// `default_points` when unset); the task adds dimensions, training_size and make.
TaskEntry grid_points_entry(const std::string& name, std::size_t default_points);

// In registry order.
const std::vector<TaskEntry>& task_registry();
// Throws std::invalid_argument("task.name: must be one of …") for an unknown name.
const TaskEntry& find_task(const std::string& name);
// "a|b|c": every task's name, for messages.
std::string task_names();

}  // namespace pgdx::task
