#pragma once
// Fills the lower triangle of K = J Jᵀ on this rank's block-cyclic blocks with level-3 BLAS,
// column block by column block, skipping the rows above each block's diagonal (about half the
// work of the full product). Inputs are whole (gathered) on every rank. A K held whole on every
// rank is still computed in parallel: the ranks of `comm` share its column blocks and sum.
#include <cstddef>

#include "pgdx/parallel/dist_matrix.hpp"
#include "pgdx/linalg/matrix.hpp"
#include "pgdx/model/gram_factors.hpp"

namespace pgdx::problem {

// From explicit Jacobian rows: jt is p × N (column r = row r of J).
void assemble_explicit_gram(const linalg::Matrix& jt, parallel::DistMatrix& k, const parallel::Comm& comm);

// From the structured factors of every sample of the batch; C = outputs per sample.
void assemble_structured_gram(const model::GramFactors& factors, std::size_t outputs, parallel::DistMatrix& k,
                              const parallel::Comm& comm);

}  // namespace pgdx::problem
