#pragma once
// The uniform 2-D grid the 2-D tasks share: x_a = a/(n−1), y_b = b/(n−1), sample j = a·n + b
// (row-major, x the slow axis — the order the 2-D FFT reads).
#include "pgdx/linalg/matrix.hpp"

namespace pgdx::task {

// 2 × n² inputs of the n × n grid of [0, 1]² (boundary included).
linalg::Matrix uniform_grid_2d(std::size_t points_per_axis);

}  // namespace pgdx::task
