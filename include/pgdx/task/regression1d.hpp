#pragma once
// Paper Fig. 3 data (EXPERIMENTS.md §1): u(x) = ⅓ Σ_{k=1..3} k·sin((2k+1)πx − k) on the grid
// x_j = j/(n−1), j = 0…n−1 (endpoints included). No test set: the grid is the training set.
#include "pgdx/task/task.hpp"

namespace pgdx::task {

double regression1d_target(double x);

class Regression1d final : public Task {
 public:
  explicit Regression1d(std::size_t points);
  std::string name() const override { return "regression1d"; }
  const Dataset& train() const override { return train_; }
  std::vector<std::size_t> train_grid_shape() const override { return {train_.size()}; }

 private:
  Dataset train_;
};

}  // namespace pgdx::task
