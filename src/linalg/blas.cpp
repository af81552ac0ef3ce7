#include "pgdx/linalg/blas.hpp"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

extern "C" {
void dpotrf_(const char* uplo, const int* n, double* a, const int* lda, int* info, long);
void dpotrs_(const char* uplo, const int* n, const int* nrhs, const double* a, const int* lda, double* b,
             const int* ldb, int* info, long);
void dsyevd_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda, double* w,
             double* work, const int* lwork, int* iwork, const int* liwork, int* info, long, long);
void dgelsd_(const int* m, const int* n, const int* nrhs, double* a, const int* lda, double* b, const int* ldb,
             double* s, const double* rcond, int* rank, double* work, const int* lwork, int* iwork, int* info);
}

namespace pgdx::linalg {
namespace {

CBLAS_TRANSPOSE to_cblas(Op op) { return op == Op::none ? CblasNoTrans : CblasTrans; }

int as_int(std::size_t n) { return static_cast<int>(n); }

void check_info(const char* routine, int info) {
  if (info != 0) {
    throw std::runtime_error(std::string("LAPACK ") + routine + " failed with info = " + std::to_string(info));
  }
}

}  // namespace

void gemm(Op op_a, Op op_b, int m, int n, int k, double alpha, const double* a, int lda, const double* b,
          int ldb, double beta, double* c, int ldc) {
  if (m == 0 || n == 0) return;
  cblas_dgemm(CblasColMajor, to_cblas(op_a), to_cblas(op_b), m, n, k, alpha, a, std::max(1, lda), b,
              std::max(1, ldb), beta, c, std::max(1, ldc));
}

void gemm(Op op_a, Op op_b, double alpha, const Matrix& a, const Matrix& b, double beta, Matrix& c) {
  const std::size_t m = op_a == Op::none ? a.rows() : a.cols();
  const std::size_t k = op_a == Op::none ? a.cols() : a.rows();
  const std::size_t kb = op_b == Op::none ? b.rows() : b.cols();
  const std::size_t n = op_b == Op::none ? b.cols() : b.rows();
  if (k != kb || c.rows() != m || c.cols() != n) {
    throw std::invalid_argument("gemm: shape mismatch (" + std::to_string(m) + "x" + std::to_string(k) + " times " +
                                std::to_string(kb) + "x" + std::to_string(n) + " into " + std::to_string(c.rows()) +
                                "x" + std::to_string(c.cols()) + ")");
  }
  gemm(op_a, op_b, as_int(m), as_int(n), as_int(k), alpha, a.data(), as_int(a.rows()), b.data(), as_int(b.rows()),
       beta, c.data(), as_int(c.rows()));
}

void gemv(Op op_a, double alpha, const Matrix& a, const double* x, double beta, double* y) {
  if (a.rows() == 0 || a.cols() == 0) {
    const std::size_t ny = op_a == Op::none ? a.rows() : a.cols();
    for (std::size_t i = 0; i < ny; ++i) y[i] = beta == 0.0 ? 0.0 : beta * y[i];
    return;
  }
  cblas_dgemv(CblasColMajor, to_cblas(op_a), as_int(a.rows()), as_int(a.cols()), alpha, a.data(), as_int(a.rows()),
              x, 1, beta, y, 1);
}

void gram_of_columns(const Matrix& a, Matrix& c) {
  const std::size_t n = a.cols();
  c.resize(n, n);
  if (n == 0) return;
  cblas_dsyrk(CblasColMajor, CblasLower, CblasTrans, as_int(n), as_int(a.rows()), 1.0, a.data(),
              std::max(1, as_int(a.rows())), 0.0, c.data(), as_int(n));
  for (std::size_t j = 0; j < n; ++j)
    for (std::size_t i = 0; i < j; ++i) c(i, j) = c(j, i);
}

double dot(std::size_t n, const double* x, const double* y) { return cblas_ddot(as_int(n), x, 1, y, 1); }

double norm2(std::size_t n, const double* x) { return cblas_dnrm2(as_int(n), x, 1); }

void axpy(std::size_t n, double alpha, const double* x, double* y) { cblas_daxpy(as_int(n), alpha, x, 1, y, 1); }

int cholesky_factor(Matrix& a) {
  const int n = as_int(a.rows());
  int info = 0;
  if (n == 0) return 0;
  dpotrf_("L", &n, a.data(), &n, &info, 1);
  if (info < 0) check_info("dpotrf", info);
  return info;
}

void cholesky_solve(const Matrix& factor, std::vector<double>& b) {
  const int n = as_int(factor.rows());
  const int nrhs = 1;
  int info = 0;
  if (n == 0) return;
  dpotrs_("L", &n, &nrhs, factor.data(), &n, b.data(), &n, &info, 1);
  check_info("dpotrs", info);
}

void symmetric_eigen(Matrix& a, std::vector<double>& eigenvalues) {
  const int n = as_int(a.rows());
  eigenvalues.assign(a.rows(), 0.0);
  if (n == 0) return;
  int info = 0;
  int lwork = -1;
  int liwork = -1;
  double work_query = 0.0;
  int iwork_query = 0;
  dsyevd_("V", "L", &n, a.data(), &n, eigenvalues.data(), &work_query, &lwork, &iwork_query, &liwork, &info, 1, 1);
  check_info("dsyevd (workspace query)", info);
  lwork = static_cast<int>(work_query);
  liwork = iwork_query;
  std::vector<double> work(static_cast<std::size_t>(lwork));
  std::vector<int> iwork(static_cast<std::size_t>(liwork));
  dsyevd_("V", "L", &n, a.data(), &n, eigenvalues.data(), work.data(), &lwork, iwork.data(), &liwork, &info, 1, 1);
  check_info("dsyevd", info);
}

std::vector<double> least_squares_min_norm(Matrix a, std::vector<double> b, double rcond) {
  const int m = as_int(a.rows());
  const int n = as_int(a.cols());
  const int ldb = std::max(m, n);
  b.resize(static_cast<std::size_t>(ldb), 0.0);
  std::vector<double> s(static_cast<std::size_t>(std::min(m, n)));
  const int nrhs = 1;
  int rank = 0;
  int info = 0;
  int lwork = -1;
  double work_query = 0.0;
  int iwork_query = 0;
  dgelsd_(&m, &n, &nrhs, a.data(), &m, b.data(), &ldb, s.data(), &rcond, &rank, &work_query, &lwork, &iwork_query,
          &info);
  check_info("dgelsd (workspace query)", info);
  lwork = static_cast<int>(work_query);
  std::vector<double> work(static_cast<std::size_t>(lwork));
  std::vector<int> iwork(static_cast<std::size_t>(std::max(1, iwork_query)));
  dgelsd_(&m, &n, &nrhs, a.data(), &m, b.data(), &ldb, s.data(), &rcond, &rank, work.data(), &lwork, iwork.data(),
          &info);
  check_info("dgelsd", info);
  b.resize(static_cast<std::size_t>(n));
  return b;
}

}  // namespace pgdx::linalg
