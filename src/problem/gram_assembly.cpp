#include "pgdx/problem/gram_assembly.hpp"

#include <algorithm>
#include <vector>

#include "pgdx/linalg/blas.hpp"

namespace pgdx::problem {
namespace {

using linalg::Matrix;
using linalg::Op;

// One column block of this rank's part of K restricted to rows at or below its diagonal:
// local rows [row, local_rows), local columns [col, col + width).
struct LowerBlock {
  int row, col, width;
};

// Calls f for every column block of K this rank fills. A distributed K: this rank's blocks. A K
// held whole on every rank (comm of several ranks): column blocks are dealt round-robin among the
// ranks, and the caller sums the zero-padded results (exact: every entry has one owner).
template <class F>
void for_each_lower_block(const parallel::DistMatrix& k, const parallel::Comm& comm, F&& f) {
  const bool shared = !k.distributed() && comm.size() > 1;
  for (int jl = 0, index = 0; jl < k.local_cols(); jl += k.block(), ++index) {
    if (shared && index % comm.size() != comm.rank()) continue;
    const int width = std::min(k.block(), k.local_cols() - jl);
    const int row = k.first_local_row_at_or_after(k.global_col(jl));
    if (row < k.local_rows()) f(LowerBlock{row, jl, width});
  }
}

void sum_shared(parallel::DistMatrix& k, const parallel::Comm& comm) {
  if (!k.distributed() && comm.size() > 1)
    comm.allreduce_sum(k.data(), static_cast<std::size_t>(k.leading_dimension()) * k.local_cols());
}

// Local rows [from, to) split into runs whose global rows are consecutive (one per row block of
// a distributed K; a single run for a whole K), as f(first local row, length).
template <class F>
void for_each_row_run(const parallel::DistMatrix& k, int from, int to, F&& f) {
  if (!k.distributed()) {
    if (from < to) f(from, to - from);
    return;
  }
  for (int il = from; il < to;) {
    const int length = std::min(k.block() - il % k.block(), to - il);
    f(il, length);
    il += length;
  }
}

// The columns of m (d × N) at this rank's global rows (or columns) of k, packed side by side.
Matrix pack_columns(const Matrix& m, const parallel::DistMatrix& k, bool rows) {
  const int count = rows ? k.local_rows() : k.local_cols();
  Matrix out(m.rows(), static_cast<std::size_t>(count));
  for (int l = 0; l < count; ++l) {
    const auto g = static_cast<std::size_t>(rows ? k.global_row(l) : k.global_col(l));
    std::copy(m.col(g), m.col(g) + m.rows(), out.col(static_cast<std::size_t>(l)));
  }
  return out;
}

}  // namespace

void assemble_explicit_gram(const Matrix& jt, parallel::DistMatrix& k, const parallel::Comm& comm) {
  // Jᵀ's columns are read in place, one gemm per (row run, column block): no copies of J, whose
  // N·p numbers dominate this path's memory.
  const int p = static_cast<int>(jt.rows());
  if (!k.distributed() && comm.size() > 1) k.fill(0.0);
  for_each_lower_block(k, comm, [&](const LowerBlock& b) {
    const auto first_col = static_cast<std::size_t>(k.global_col(b.col));
    for_each_row_run(k, b.row, k.local_rows(), [&](int il, int length) {
      const auto first_row = static_cast<std::size_t>(k.global_row(il));
      linalg::gemm(Op::transpose, Op::none, length, b.width, p, 1.0, jt.col(first_row), p, jt.col(first_col), p, 0.0,
                   &k.local(il, b.col), k.leading_dimension());
    });
  });
  sum_shared(k, comm);
}

void assemble_structured_gram(const model::GramFactors& factors, std::size_t outputs, parallel::DistMatrix& k,
                              const parallel::Comm& comm) {
  k.fill(0.0);
  Matrix block;
  std::vector<std::size_t> row_sample(static_cast<std::size_t>(k.local_rows()));
  for (int il = 0; il < k.local_rows(); ++il)
    row_sample[static_cast<std::size_t>(il)] = static_cast<std::size_t>(k.global_row(il)) / outputs;
  for (std::size_t l = 0; l < factors.inputs.size(); ++l) {
    // Sample-level input Gram S = AᵀA (n × n, whole): cheap next to the N × N signal Gram.
    Matrix s;
    linalg::gram_of_columns(factors.inputs[l], s);
    const Matrix& g = factors.signals[l];
    const int d = static_cast<int>(g.rows());
    const Matrix g_rows = pack_columns(g, k, true);
    const Matrix g_cols = pack_columns(g, k, false);
    for_each_lower_block(k, comm, [&](const LowerBlock& b) {
      const int m = k.local_rows() - b.row;
      block.resize(static_cast<std::size_t>(m), static_cast<std::size_t>(b.width));
      linalg::gemm(Op::transpose, Op::none, m, b.width, d, 1.0, g_rows.col(static_cast<std::size_t>(b.row)), d,
                   g_cols.col(static_cast<std::size_t>(b.col)), d, 0.0, block.data(), m);
      for (int j = 0; j < b.width; ++j) {
        const auto sample_j = static_cast<std::size_t>(k.global_col(b.col + j)) / outputs;
        const double* sj = s.col(sample_j);
        const double* bj = block.col(static_cast<std::size_t>(j));
        double* kj = &k.local(b.row, b.col + j);
        const std::size_t* samples = row_sample.data() + b.row;
        for (int i = 0; i < m; ++i) kj[i] += (sj[samples[i]] + factors.bias_term) * bj[i];
      }
    });
  }
  sum_shared(k, comm);
}

}  // namespace pgdx::problem
