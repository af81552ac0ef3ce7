#pragma once
// Helpers shared by the tests: random matrices, a model that is exactly linear in θ (the
// paper's lazy linearisation, where Lemmas 3.1–3.3 are identities), and finite differences.
#include <algorithm>
#include <cmath>
#include <vector>

#include "pgdx/parallel/dist_matrix.hpp"
#include "pgdx/linalg/blas.hpp"
#include "pgdx/linalg/matrix.hpp"
#include "pgdx/optim/optimizer_options.hpp"
#include "pgdx/problem/least_squares_problem.hpp"
#include "pgdx/util/rng.hpp"

namespace pgdx::test {

using linalg::Matrix;

inline Matrix random_matrix(std::size_t rows, std::size_t cols, Rng& rng) {
  Matrix m(rows, cols);
  for (double& v : m.storage()) v = rng.normal();
  return m;
}

inline std::vector<double> random_vector(std::size_t n, Rng& rng) {
  std::vector<double> v(n);
  for (double& x : v) x = rng.normal();
  return v;
}

// n × n orthogonal matrix: eigenvectors of a random symmetric matrix.
inline Matrix random_orthogonal(std::size_t n, Rng& rng) {
  Matrix a = random_matrix(n, n, rng);
  Matrix s(n, n);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j) s(i, j) = a(i, j) + a(j, i);
  std::vector<double> w;
  linalg::symmetric_eigen(s, w);
  return s;
}

inline double max_abs_diff(const std::vector<double>& a, const std::vector<double>& b) {
  double m = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(a[i] - b[i]));
  return m;
}

inline double max_abs(const std::vector<double>& a) {
  double m = 0.0;
  for (double v : a) m = std::max(m, std::abs(v));
  return m;
}

// Central difference (F(θ + hv) − F(θ − hv)) / 2h, where `set(θ)` installs parameters and
// `evaluate()` returns F as a vector; θ is restored afterwards (θ is copied: callers may pass the
// model's own parameter vector, which `set` overwrites).
template <class Set, class Evaluate>
std::vector<double> central_difference(const std::vector<double> theta, const std::vector<double>& v, double h,
                                       Set set, Evaluate evaluate) {
  std::vector<double> plus = theta, minus = theta;
  for (std::size_t i = 0; i < theta.size(); ++i) {
    plus[i] += h * v[i];
    minus[i] -= h * v[i];
  }
  set(plus);
  const std::vector<double> fp = evaluate();
  set(minus);
  const std::vector<double> fm = evaluate();
  set(theta);
  std::vector<double> out(fp.size());
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = (fp[i] - fm[i]) / (2 * h);
  return out;
}

// The unit vector e_q of length n.
inline std::vector<double> unit_vector(std::size_t n, std::size_t q) {
  std::vector<double> e(n, 0.0);
  e[q] = 1.0;
  return e;
}

inline double relative_difference(const std::vector<double>& a, const std::vector<double>& b) {
  return max_abs_diff(a, b) / std::max(max_abs(b), 1e-300);
}

// J (N × p) with prescribed singular values σ_i (i < N): J = U diag(σ) V₁ᵀ, U and V orthogonal.
struct SpectralJacobian {
  Matrix j;            // N × p
  Matrix u;            // N × N, column i ↔ σ_i
  std::vector<double> lambda;  // σ_i², eigenvalues of K = J Jᵀ in the order of u's columns
};

inline SpectralJacobian make_spectral_jacobian(std::size_t n, std::size_t p, double sigma_min, double sigma_max,
                                               Rng& rng) {
  SpectralJacobian s;
  s.u = random_orthogonal(n, rng);
  Matrix v = random_orthogonal(p, rng);
  s.j = Matrix(n, p);
  s.lambda.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double t = n > 1 ? static_cast<double>(i) / static_cast<double>(n - 1) : 0.0;
    const double sigma = sigma_min * std::pow(sigma_max / sigma_min, t);  // log-spaced
    s.lambda[i] = sigma * sigma;
    for (std::size_t c = 0; c < p; ++c)
      for (std::size_t r = 0; r < n; ++r) s.j(r, c) += s.u(r, i) * sigma * v(c, i);
  }
  return s;
}

// e(θ) = e0 + J (θ − θ0): a least-squares problem that is exactly linear (sum scale).
class LinearProblem final : public problem::LeastSquaresProblem {
 public:
  LinearProblem(Matrix j, std::vector<double> e0, std::vector<double> theta0)
      : j_(std::move(j)), e0_(std::move(e0)), theta0_(theta0), theta_(std::move(theta0)) {}

  std::size_t num_params() const override { return j_.cols(); }
  const std::vector<double>& params() const override { return theta_; }
  void set_params(const std::vector<double>& theta) override { theta_ = theta; }
  std::size_t num_samples() const override { return j_.rows(); }
  double loss_scale() const override { return 1.0; }

  void residual(std::vector<double>& e) override {
    std::vector<double> d(theta_.size());
    for (std::size_t i = 0; i < d.size(); ++i) d[i] = theta_[i] - theta0_[i];
    e = e0_;
    linalg::gemv(linalg::Op::none, 1.0, j_, d.data(), 1.0, e.data());
  }
  void gram(parallel::DistMatrix& k) override {
    const int n = static_cast<int>(j_.rows());
    k = parallel::DistMatrix(nullptr, n, n);
    Matrix full(j_.rows(), j_.rows());
    linalg::gemm(linalg::Op::none, linalg::Op::transpose, 1.0, j_, j_, 0.0, full);
    std::copy(full.storage().begin(), full.storage().end(), k.data());
  }
  void jt_times(const std::vector<double>& z, std::vector<double>& out) override {
    out.assign(j_.cols(), 0.0);
    linalg::gemv(linalg::Op::transpose, 1.0, j_, z.data(), 0.0, out.data());
  }
  void j_times(const std::vector<double>& v, std::vector<double>& out) override {
    out.assign(j_.rows(), 0.0);
    linalg::gemv(linalg::Op::none, 1.0, j_, v.data(), 0.0, out.data());
  }

  const Matrix& jacobian() const { return j_; }
  const std::vector<double>& theta0() const { return theta0_; }

 private:
  Matrix j_;
  std::vector<double> e0_, theta0_, theta_;
};

// The lower triangle (incl. diagonal) of a column-major n × n matrix, column by column.
inline std::vector<double> lower_triangle(const std::vector<double>& a, std::size_t n) {
  std::vector<double> out;
  for (std::size_t j = 0; j < n; ++j)
    for (std::size_t i = j; i < n; ++i) out.push_back(a[i + j * n]);
  return out;
}

// Options of `method` with learning rate `lr`, everything else at its default.
inline optim::OptimizerOptions optimizer_options(optim::Method method, double lr) {
  optim::OptimizerOptions o;
  o.method = method;
  o.lr = lr;
  return o;
}

// Modal error ê = Uᵀ e.
inline std::vector<double> modal(const Matrix& u, const std::vector<double>& e) {
  std::vector<double> out(u.cols());
  linalg::gemv(linalg::Op::transpose, 1.0, u, e.data(), 0.0, out.data());
  return out;
}

}  // namespace pgdx::test
