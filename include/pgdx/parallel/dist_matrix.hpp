#pragma once
// A dense matrix distributed block-cyclically over a BLACS grid (ScaLAPACK layout), or — without
// a grid — held whole on this rank. The operations below call LAPACK in the second case and
// ScaLAPACK in the first, so code above the parallel layer has one path for 1 and for P ranks.
//
// Local storage is column-major, local_rows() × local_cols(), leading dimension ≥ 1; local element
// (il, jl) is global element (global_row(il), global_col(jl)). Symmetric matrices use only their
// LOWER triangle (ScaLAPACK/LAPACK uplo = 'L'): producers may leave the upper triangle unset.
#include <memory>
#include <vector>

#include "pgdx/parallel/blacs_grid.hpp"

namespace pgdx::parallel {

class DistMatrix {
 public:
  DistMatrix() = default;
  // Whole matrix on this rank when grid is null.
  DistMatrix(std::shared_ptr<const BlacsGrid> grid, int rows, int cols, int block = 64);

  int rows() const { return rows_; }
  int cols() const { return cols_; }
  int block() const { return block_; }
  bool distributed() const { return grid_ != nullptr; }
  const BlacsGrid* grid() const { return grid_.get(); }
  const std::shared_ptr<const BlacsGrid>& grid_handle() const { return grid_; }

  int local_rows() const { return local_rows_; }
  int local_cols() const { return local_cols_; }
  int leading_dimension() const { return lld_; }
  double* data() { return local_.data(); }
  const double* data() const { return local_.data(); }
  double& local(int il, int jl) { return local_[static_cast<std::size_t>(il) + static_cast<std::size_t>(jl) * lld_]; }
  double local(int il, int jl) const {
    return local_[static_cast<std::size_t>(il) + static_cast<std::size_t>(jl) * lld_];
  }
  int global_row(int il) const;
  int global_col(int jl) const;
  // First local row whose global index is ≥ g (local_rows() if none): local rows are increasing.
  int first_local_row_at_or_after(int g) const;
  const int* descriptor() const { return desc_; }

  void fill(double v);
  void add_to_diagonal(double v);

 private:
  std::shared_ptr<const BlacsGrid> grid_;
  int rows_ = 0, cols_ = 0, block_ = 64;
  int local_rows_ = 0, local_cols_ = 0, lld_ = 1;
  int desc_[9] = {};
  std::vector<double> local_;
};

// Lower-triangle Cholesky A = L Lᵀ in place. Returns info (0 success; > 0 not positive definite).
int cholesky_factor(DistMatrix& a);
// Solves A x = b given the factor; b and x are whole vectors on every rank (replicated).
void cholesky_solve(const DistMatrix& factor, std::vector<double>& b);
// Eigen-decomposition of a symmetric matrix (lower triangle): eigenvalues ascending on every
// rank, eigenvectors as the columns of `vectors` (same layout as a). `a` is destroyed.
void symmetric_eigen(DistMatrix& a, DistMatrix& vectors, std::vector<double>& eigenvalues);
// y = A x for symmetric A stored in its lower triangle; x, y replicated.
void symmetric_multiply(const DistMatrix& a, const std::vector<double>& x, std::vector<double>& y);
// y = A x or y = Aᵀ x for a general A; x, y replicated.
void multiply(const DistMatrix& a, bool transpose, const std::vector<double>& x, std::vector<double>& y);
// The whole matrix on every rank (tests, small diagnostics). Lower-triangle-only matrices come
// back with their upper triangle as stored.
std::vector<double> gather(const DistMatrix& a);

}  // namespace pgdx::parallel
