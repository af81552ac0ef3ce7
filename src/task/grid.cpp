#include "pgdx/task/grid.hpp"

namespace pgdx::task {

linalg::Matrix uniform_grid_2d(std::size_t n) {
  linalg::Matrix x(2, n * n);
  const double spacing = n > 1 ? 1.0 / static_cast<double>(n - 1) : 0.0;
  for (std::size_t a = 0; a < n; ++a)
    for (std::size_t b = 0; b < n; ++b) {
      x(0, a * n + b) = static_cast<double>(a) * spacing;
      x(1, a * n + b) = static_cast<double>(b) * spacing;
    }
  return x;
}

}  // namespace pgdx::task
