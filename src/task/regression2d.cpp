#include "pgdx/task/regression2d.hpp"

#include "pgdx/task/grid.hpp"

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

}  // namespace pgdx::task
