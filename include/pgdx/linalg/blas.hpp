#pragma once
// The only place pgdx calls BLAS and LAPACK (OpenBLAS on Debian). Column-major throughout.
#include <vector>

#include "pgdx/linalg/matrix.hpp"

namespace pgdx::linalg {

enum class Op { none, transpose };

// C ← alpha·op(A)·op(B) + beta·C
void gemm(Op op_a, Op op_b, double alpha, const Matrix& a, const Matrix& b, double beta, Matrix& c);
// Raw-pointer form for sub-blocks (lda etc. are leading dimensions).
void gemm(Op op_a, Op op_b, int m, int n, int k, double alpha, const double* a, int lda, const double* b,
          int ldb, double beta, double* c, int ldc);
// y ← alpha·op(A)·x + beta·y
void gemv(Op op_a, double alpha, const Matrix& a, const double* x, double beta, double* y);
// C ← alpha·Aᵀ·A + beta·C (A is k × n, C is n × n); fills BOTH triangles of C.
void gram_of_columns(const Matrix& a, Matrix& c);

double dot(std::size_t n, const double* x, const double* y);
double norm2(std::size_t n, const double* x);
void axpy(std::size_t n, double alpha, const double* x, double* y);

// Cholesky of a symmetric matrix (lower triangle). Returns LAPACK's info (0 = success,
// > 0 = leading minor not positive definite): a numerical outcome, not an error.
int cholesky_factor(Matrix& a);
// Solves A x = b in place given the factor from cholesky_factor.
void cholesky_solve(const Matrix& factor, std::vector<double>& b);

// Symmetric eigen-decomposition (divide and conquer). On return `a` holds the eigenvectors
// as columns, `eigenvalues` ascending (LAPACK order). Throws on failure to converge.
void symmetric_eigen(Matrix& a, std::vector<double>& eigenvalues);

// Minimum-norm least-squares solution of min ‖A x − b‖ by SVD (dgelsd); used as an
// independent reference in tests. `a` is destroyed.
std::vector<double> least_squares_min_norm(Matrix a, std::vector<double> b, double rcond = -1.0);

}  // namespace pgdx::linalg
