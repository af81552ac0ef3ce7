#pragma once
// Factors of the structured Gram matrix of a network of dense layers (DESIGN.md §3 and
// ../shared/reference/structured_gram.py). With, per layer l, the layer inputs A_l (d_l × n, one
// column per sample) and the back-propagated output signals G_l (d_{l+1} × N, one column per
// residual row r = i·C + c):
//   K[r, r'] = Σ_l (A_l[:, i]·A_l[:, i'] + β) · (G_l[:, r]·G_l[:, r']),   β = 1 with biases, else 0.
// For the output layer G is s·e_c, so its term is s²(A·A + β) on same-output pairs.
#include <vector>

#include "pgdx/linalg/matrix.hpp"

namespace pgdx::model {

struct GramFactors {
  std::vector<linalg::Matrix> inputs;   // A_l, l = 0 … L−1
  std::vector<linalg::Matrix> signals;  // G_l, l = 0 … L−1
  double bias_term = 1.0;               // β
};

// Jᵀz from the factors: ∂/∂W_l = G_l diag(z) Ãₗᵀ (Ã_l repeats sample i's column for its C rows),
// ∂/∂b_l = G_l z, in the dense-layer θ layout (layer by layer: W_l row-major out × in, then b_l if
// β = 1). One product over all N rows, so the result does not depend on how samples were sharded.
void gradient_from_factors(const GramFactors& factors, std::size_t outputs, const double* z,
                           std::vector<double>& grad);

}  // namespace pgdx::model
