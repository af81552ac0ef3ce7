#pragma once
// The symmetric square roots S_i = H_i^{1/2} of an output loss's per-sample Hessian blocks
// (loss/output_loss.hpp), which the sample-space generalised Gauss–Newton step needs:
// JᵀHJ = (SJ)ᵀ(SJ), K̃ = S J Jᵀ S. Square-rooting is a small eigen-decomposition per sample
// (LAPACK), which is why it lives here and not in loss/.
#include <cstddef>
#include <vector>

#include "pgdx/loss/output_loss.hpp"

namespace pgdx::problem {

// roots: n blocks of C × C (column-major, symmetric), block i = H_i^{1/2}; the zero eigenvalue of
// a softmax block (and any round-off below it) is clamped at 0.
void hessian_roots(const loss::OutputLoss& loss, const std::vector<double>& e, const std::vector<double>& y,
                   std::size_t outputs, std::vector<double>& roots);

}  // namespace pgdx::problem
