#pragma once
// A data set in the model layout: x is d × n, y is C × n (one sample per column), and, for
// residuals that need them, per-sample operator coefficients (k × n; empty otherwise, see
// loss/residual_operator.hpp).
#include "pgdx/linalg/matrix.hpp"

namespace pgdx::task {

struct Dataset {
  linalg::Matrix x;
  linalg::Matrix y;
  linalg::Matrix coefficients;
  std::size_t size() const { return x.cols(); }
};

}  // namespace pgdx::task
