#include "pgdx/task/regression2d.hpp"

namespace pgdx::task {

double regression2d_target(double x, double y) {
  if (x + y < 0.5) return 1.0;
  if (x + y > 1.5) return 2.0;
  if (x < 0.5 && y >= 0.5) return 0.75;
  return 0.0;
}

Regression2d::Regression2d(std::size_t points_per_axis) : side_(points_per_axis) {
  const std::size_t n = side_ * side_;
  const double spacing = side_ > 1 ? 1.0 / static_cast<double>(side_ - 1) : 0.0;
  train_.x.resize(2, n);
  train_.y.resize(1, n);
  for (std::size_t a = 0; a < side_; ++a)
    for (std::size_t b = 0; b < side_; ++b) {
      const std::size_t j = a * side_ + b;
      train_.x(0, j) = static_cast<double>(a) * spacing;
      train_.x(1, j) = static_cast<double>(b) * spacing;
      train_.y(0, j) = regression2d_target(train_.x(0, j), train_.x(1, j));
    }
}

}  // namespace pgdx::task
