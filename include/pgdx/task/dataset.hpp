#pragma once
// A supervised data set in the model layout: x is d × n, y is C × n (one sample per column).
#include "pgdx/linalg/matrix.hpp"

namespace pgdx::task {

struct Dataset {
  linalg::Matrix x;
  linalg::Matrix y;
  std::size_t size() const { return x.cols(); }
};

}  // namespace pgdx::task
