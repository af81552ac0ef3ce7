#include "pgdx/task/regression1d.hpp"

#include <cmath>
#include <memory>
#include <stdexcept>

#include "pgdx/task/task_registry.hpp"

namespace pgdx::task {

double regression1d_target(double x) {
  double u = 0.0;
  for (int k = 1; k <= 3; ++k) u += k * std::sin((2 * k + 1) * M_PI * x - k);
  return u / 3.0;
}

Regression1d::Regression1d(std::size_t points) {
  train_.x.resize(1, points);
  train_.y.resize(1, points);
  for (std::size_t j = 0; j < points; ++j) {
    const double x = points > 1 ? static_cast<double>(j) / static_cast<double>(points - 1) : 0.0;
    train_.x(0, j) = x;
    train_.y(0, j) = regression1d_target(x);
  }
}

TaskEntry regression1d_entry() {
  TaskEntry e = grid_points_entry("regression1d", 100);
  e.dimensions = [](const TaskOptions&) { return std::pair<std::size_t, std::size_t>{1, 1}; };
  e.training_size = [](const TaskOptions& o) { return o.points; };
  e.make = [](const TaskOptions& o, std::uint64_t) { return std::make_unique<Regression1d>(o.points); };
  return e;
}

}  // namespace pgdx::task
