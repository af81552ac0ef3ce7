#pragma once
// Paper Fig. 9 data (eq. 7, EXPERIMENTS.md §2): the discontinuous target
//   u(x, y) = 1 if x + y < 0.5;  2 if x + y > 1.5;  0.75 if x < 0.5 and y ≥ 0.5;  0 otherwise
// on the uniform grid x_a = a/(n−1), y_b = b/(n−1), sample j = a·n + b (row-major, x slow), so
// the residual reshaped to n × n is the input of the 2-D FFT. No test set.
#include "pgdx/task/task.hpp"

namespace pgdx::task {

double regression2d_target(double x, double y);

class Regression2d final : public Task {
 public:
  explicit Regression2d(std::size_t points_per_axis);
  std::string name() const override { return "regression2d"; }
  const Dataset& train() const override { return train_; }
  std::vector<std::size_t> train_grid_shape() const override { return {side_, side_}; }

 private:
  std::size_t side_;
  Dataset train_;
};

}  // namespace pgdx::task
