#include "pgdx/task/regression2d.hpp"

#include <memory>
#include <stdexcept>

#include "pgdx/task/grid.hpp"
#include "pgdx/task/task_registry.hpp"

namespace pgdx::task {

double regression2d_target(double x, double y) {
  if (x + y < 0.5) return 1.0;
  if (x + y > 1.5) return 2.0;
  if (x < 0.5 && y >= 0.5) return 0.75;
  return 0.0;
}

Regression2d::Regression2d(std::size_t points_per_axis) : side_(points_per_axis) {
  train_.x = uniform_grid_2d(side_);
  train_.y.resize(1, train_.x.cols());
  for (std::size_t j = 0; j < train_.x.cols(); ++j) train_.y(0, j) = regression2d_target(train_.x(0, j), train_.x(1, j));
}

TaskEntry regression2d_entry() {
  TaskEntry e = grid_points_entry("regression2d", 40);  // 40 × 40
  e.dimensions = [](const TaskOptions&) { return std::pair<std::size_t, std::size_t>{2, 1}; };
  e.training_size = [](const TaskOptions& o) { return o.points * o.points; };
  e.make = [](const TaskOptions& o, std::uint64_t) { return std::make_unique<Regression2d>(o.points); };
  return e;
}

}  // namespace pgdx::task
