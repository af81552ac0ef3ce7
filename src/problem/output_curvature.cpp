#include "pgdx/problem/output_curvature.hpp"

#include <algorithm>
#include <cmath>

#include "pgdx/linalg/blas.hpp"
#include "pgdx/linalg/matrix.hpp"

namespace pgdx::problem {

void hessian_roots(const loss::OutputLoss& loss, const std::vector<double>& e, const std::vector<double>& y,
                   std::size_t outputs, std::vector<double>& roots) {
  const std::size_t block = outputs * outputs;
  std::vector<double> blocks;
  loss.hessian_blocks(e, y, outputs, blocks);
  const std::size_t n = blocks.size() / block;
  roots.assign(n * block, 0.0);
  if (loss.kind() == loss::LossKind::squared) {  // H = c·I: S = √c·I, no eigen-decomposition
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t k = 0; k < outputs; ++k) roots[i * block + k * outputs + k] = std::sqrt(blocks[i * block]);
    return;
  }
  std::vector<double> eigenvalues;
  linalg::Matrix h(outputs, outputs);
  for (std::size_t i = 0; i < n; ++i) {
    std::copy(blocks.begin() + static_cast<long>(i * block), blocks.begin() + static_cast<long>((i + 1) * block),
              h.data());
    // H = U Λ Uᵀ is PSD (round-off can make its zero eigenvalue slightly negative: clamp).
    linalg::symmetric_eigen(h, eigenvalues);
    double* root = roots.data() + i * block;
    for (std::size_t k = 0; k < outputs; ++k) {
      const double s = std::sqrt(std::max(eigenvalues[k], 0.0));
      for (std::size_t b = 0; b < outputs; ++b)
        for (std::size_t a = 0; a < outputs; ++a) root[b * outputs + a] += s * h(a, k) * h(b, k);
    }
  }
}

}  // namespace pgdx::problem
