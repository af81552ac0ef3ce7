#pragma once
// The dense reference for GGN steps under batch-mean softmax cross-entropy: the explicit Jacobian,
// the per-sample softmax Hessian blocks, A = μI + JᵀHJ and the right-hand side Jᵀq + λθ.
#include <cstddef>
#include <vector>

#include "pgdx/linalg/matrix.hpp"
#include "pgdx/loss/output_loss.hpp"
#include "pgdx/model/model.hpp"
#include "pgdx/task/dataset.hpp"

namespace pgdx::test {

struct DenseGgnSystem {
  linalg::Matrix a;           // μI + JᵀHJ (p × p)
  std::vector<double> rhs;    // Jᵀq + λθ, q = ∂L/∂f
};

inline DenseGgnSystem dense_ggn_system(model::Model& net, const task::Dataset& data, double mu, double lambda) {
  const std::size_t n = data.size(), classes = data.y.rows(), rows = n * classes, p = net.num_params();
  linalg::Matrix f, jt;
  net.forward(data.x, f);
  net.jacobian_transposed(data.x, jt);
  std::vector<double> hessian(rows * rows, 0.0), q(rows);
  std::vector<double> prob(classes);
  for (std::size_t i = 0; i < n; ++i) {
    loss::softmax(f.col(i), classes, prob.data());
    for (std::size_t a = 0; a < classes; ++a) {
      q[i * classes + a] = (prob[a] - data.y(a, i)) / static_cast<double>(n);
      for (std::size_t b = 0; b < classes; ++b)
        hessian[(i * classes + a) * rows + i * classes + b] =
            ((a == b ? prob[a] : 0.0) - prob[a] * prob[b]) / static_cast<double>(n);
    }
  }
  DenseGgnSystem s{linalg::Matrix(p, p), std::vector<double>(p, 0.0)};
  // JᵀH first (p × rows), then (JᵀH)J: O(p·rows² + p²·rows).
  linalg::Matrix jth(p, rows);
  for (std::size_t t = 0; t < p; ++t)
    for (std::size_t r2 = 0; r2 < rows; ++r2) {
      double sum = 0.0;
      for (std::size_t r = 0; r < rows; ++r) sum += jt(t, r) * hessian[r * rows + r2];
      jth(t, r2) = sum;
    }
  for (std::size_t t = 0; t < p; ++t) {
    for (std::size_t r = 0; r < rows; ++r) s.rhs[t] += jt(t, r) * q[r];
    s.rhs[t] += lambda * net.params()[t];
    for (std::size_t u = 0; u < p; ++u) {
      double sum = t == u ? mu : 0.0;
      for (std::size_t r = 0; r < rows; ++r) sum += jth(t, r) * jt(u, r);
      s.a(t, u) = sum;
    }
  }
  return s;
}

}  // namespace pgdx::test
