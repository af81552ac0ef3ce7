// Softmax cross-entropy and the generalised Gauss–Newton step (Fig. 11): the loss gradient and
// Hessian-vector products against finite differences, the Hessian root, the θ-gradient of a
// network under cross-entropy, and one GGN step against the dense formula (μI + JᵀHJ)h = Jᵀq + λθ.
#include <catch2/catch.hpp>

#include <cmath>

#include "pgdx/loss/output_loss.hpp"
#include "pgdx/model/mlp.hpp"
#include "pgdx/optim/generalized_gauss_newton.hpp"
#include "pgdx/optim/levenberg_marquardt.hpp"
#include "pgdx/problem/output_curvature.hpp"
#include "pgdx/problem/residual_problem.hpp"
#include "classification_fixtures.hpp"
#include "dense_ggn.hpp"
#include "test_support.hpp"

using namespace pgdx;
using linalg::Matrix;

namespace {

constexpr std::size_t kClasses = 4;

// n samples with one-hot targets and logits of spread `spread` (e = f − y).
void logits_and_targets(std::size_t n, double spread, Rng& rng, std::vector<double>& e, std::vector<double>& y) {
  y.assign(n * kClasses, 0.0);
  e.resize(n * kClasses);
  for (std::size_t i = 0; i < n; ++i) y[i * kClasses + rng.below(kClasses)] = 1.0;
  for (std::size_t r = 0; r < e.size(); ++r) e[r] = spread * rng.normal() - y[r];
}

// H w from the roots: S (S w) per sample.
std::vector<double> hessian_times(const std::vector<double>& roots, const std::vector<double>& w) {
  std::vector<double> half(w.size(), 0.0), out(w.size(), 0.0);
  const std::size_t c = kClasses;
  for (std::size_t i = 0; i < w.size() / c; ++i)
    for (std::size_t a = 0; a < c; ++a)
      for (std::size_t b = 0; b < c; ++b) half[i * c + a] += roots[i * c * c + b * c + a] * w[i * c + b];
  for (std::size_t i = 0; i < w.size() / c; ++i)
    for (std::size_t a = 0; a < c; ++a)
      for (std::size_t b = 0; b < c; ++b) out[i * c + a] += roots[i * c * c + b * c + a] * half[i * c + b];
  return out;
}

model::Mlp small_net(std::uint64_t seed, model::Activation act = model::Activation::tanh) {
  return test::classification_net(seed, 3, 6, kClasses, act);
}

task::Dataset classification_data(std::size_t n, Rng& rng) { return test::classification_data(n, 3, kClasses, rng); }

}  // namespace

TEST_CASE("cross-entropy: value, gradient and Hessian-vector products match finite differences",
          "[cross_entropy][fd]") {
  Rng rng(31, Stream::test);
  for (auto reduction : {loss::Reduction::sum, loss::Reduction::mean}) {
    const loss::OutputLoss ce(loss::LossKind::cross_entropy, reduction);
    std::vector<double> e, y, q, roots;
    logits_and_targets(7, 2.0, rng, e, y);
    const double c = reduction == loss::Reduction::mean ? 1.0 / 7 : 1.0;
    // Value: −Σ log softmax at the target class, by hand.
    double expected = 0.0;
    for (std::size_t i = 0; i < 7; ++i) {
      double norm = 0.0, target = 0.0;
      for (std::size_t k = 0; k < kClasses; ++k) {
        norm += std::exp(e[i * kClasses + k] + y[i * kClasses + k]);
        if (y[i * kClasses + k] == 1.0) target = e[i * kClasses + k] + 1.0;
      }
      expected += std::log(norm) - target;
    }
    CHECK(ce.value(e, y, kClasses) == Approx(c * expected).epsilon(1e-13));

    ce.gradient(e, y, kClasses, q);
    const auto v = test::random_vector(e.size(), rng);
    const auto value_at = [&](const std::vector<double>& shifted) {
      return std::vector<double>{ce.value(shifted, y, kClasses)};
    };
    std::vector<double> point = e;
    const auto fd_value = test::central_difference(
        e, v, 1e-6, [&](const std::vector<double>& t) { point = t; }, [&] { return value_at(point); });
    CHECK(linalg::dot(v.size(), v.data(), q.data()) == Approx(fd_value[0]).epsilon(1e-8));

    // H v two ways: the roots squared, and the finite difference of the gradient.
    problem::hessian_roots(ce, e, y, kClasses, roots);
    const auto fd_hv = test::central_difference(
        e, v, 1e-6, [&](const std::vector<double>& t) { point = t; },
        [&] {
          std::vector<double> g;
          ce.gradient(point, y, kClasses, g);
          return g;
        });
    const double err = test::relative_difference(hessian_times(roots, v), fd_hv);
    CHECK(err < 1e-7);
    WARN("cross-entropy H v vs finite differences of the gradient: relative error " << err);
    // S is symmetric and annihilates the all-ones direction of every sample (softmax shift invariance).
    for (std::size_t i = 0; i < 7; ++i)
      for (std::size_t a = 0; a < kClasses; ++a) {
        double row = 0.0;
        for (std::size_t b = 0; b < kClasses; ++b) {
          CHECK(roots[i * 16 + b * 4 + a] == Approx(roots[i * 16 + a * 4 + b]).margin(1e-15));
          row += roots[i * 16 + b * 4 + a];
        }
        CHECK(std::abs(row) < 1e-8);
      }
  }
}

TEST_CASE("cross-entropy: saturated logits give finite values and a zero Hessian", "[cross_entropy]") {
  const loss::OutputLoss ce(loss::LossKind::cross_entropy, loss::Reduction::mean);
  // f = (1e6, 0, 0, 0) with target class 1: p = e_0 exactly in double precision.
  const std::vector<double> y = {0, 1, 0, 0};
  const std::vector<double> e = {1e6, -1, 0, 0};
  CHECK(ce.value(e, y, kClasses) == Approx(1e6));
  std::vector<double> q, roots;
  ce.gradient(e, y, kClasses, q);
  CHECK(q == std::vector<double>{1, -1, 0, 0});
  problem::hessian_roots(ce, e, y, kClasses, roots);
  CHECK(test::max_abs(roots) < 1e-7);
}

TEST_CASE("a network's theta-gradient under cross-entropy matches finite differences of its loss",
          "[cross_entropy][fd]") {
  Rng rng(32, Stream::test);
  auto net = small_net(5, model::Activation::relu);
  const task::Dataset data = classification_data(9, rng);
  problem::ResidualProblem problem(net, parallel::Comm::self(), loss::Reduction::mean);
  problem.set_loss_kind(loss::LossKind::cross_entropy);
  problem.set_all(data);
  std::vector<double> e, g;
  problem.gradient(e, g);
  const auto v = test::random_vector(net.num_params(), rng);
  const auto fd = test::central_difference(
      net.params(), v, 1e-6, [&](const std::vector<double>& t) { problem.set_params(t); },
      [&] { return std::vector<double>{problem.loss()}; });
  CHECK(linalg::dot(v.size(), v.data(), g.data()) == Approx(fd[0]).epsilon(1e-7));
}

TEST_CASE("one GGN step equals the dense solve of (mu I + J^T H J) h = J^T q + lambda theta",
          "[cross_entropy][ggn]") {
  Rng rng(33, Stream::test);
  const std::size_t n = 5;  // N = 20 residual rows < p = 52 parameters: the sample space is smaller
  const task::Dataset data = classification_data(n, rng);
  for (auto mode : {problem::GramMode::structured, problem::GramMode::explicit_rows}) {
    auto net = small_net(7);
    const std::vector<double> theta0 = net.params();
    const std::size_t p = net.num_params();
    const double mu = 0.3, lambda = 0.01, lr = 0.7;
    // The dense reference: explicit J, H blocks from softmax, A = μI + JᵀHJ, Cholesky.
    auto [a, rhs] = test::dense_ggn_system(net, data, mu, lambda);
    REQUIRE(linalg::cholesky_factor(a) == 0);
    linalg::cholesky_solve(a, rhs);

    problem::ResidualProblem problem(net, parallel::Comm::self(), loss::Reduction::mean, {mode});
    problem.set_loss_kind(loss::LossKind::cross_entropy);
    problem.set_all(data);
    optim::OptimizerOptions o;
    o.method = optim::Method::ggn;
    o.lr = lr;
    o.mu = mu;
    o.weight_decay = lambda;
    optim::GeneralizedGaussNewton ggn(o);
    const auto info = ggn.step(problem);
    CHECK(info.mu == mu);
    std::vector<double> step(p);
    for (std::size_t s = 0; s < p; ++s) step[s] = (theta0[s] - net.params()[s]) / lr;
    const double err = test::relative_difference(step, rhs);
    INFO("gram " << problem::to_string(mode));
    CHECK(err < 1e-10);
    WARN("GGN step vs dense (mu I + J^T H J)^-1 (J^T q + lambda theta), gram " << problem::to_string(mode)
                                                                              << ": relative error " << err);
  }
}

TEST_CASE("matrix-free products: H w without H, and J^T H J v equal the dense products", "[ggn][matrix_free]") {
  Rng rng(35, Stream::test);
  const std::size_t n = 6, rows = n * kClasses;
  const task::Dataset data = classification_data(n, rng);
  for (auto kind : {loss::LossKind::cross_entropy, loss::LossKind::squared}) {
    INFO("loss " << loss::to_string(kind));
    auto net = small_net(11);
    const std::size_t p = net.num_params();
    Matrix f, jt;
    net.forward(data.x, f);
    net.jacobian_transposed(data.x, jt);
    std::vector<double> e(rows);
    for (std::size_t r = 0; r < rows; ++r) e[r] = f.data()[r] - data.y.data()[r];
    const loss::OutputLoss output_loss(kind, loss::Reduction::mean);
    std::vector<double> blocks;
    output_loss.hessian_blocks(e, data.y.storage(), kClasses, blocks);

    // H w: the matrix-free product against the explicit blocks.
    const auto w = test::random_vector(rows, rng);
    std::vector<double> hw, hw_dense(rows, 0.0);
    output_loss.hessian_times(e, data.y.storage(), kClasses, w, hw);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t b = 0; b < kClasses; ++b)
        for (std::size_t a = 0; a < kClasses; ++a)
          hw_dense[i * kClasses + a] += blocks[i * kClasses * kClasses + b * kClasses + a] * w[i * kClasses + b];
    CHECK(test::relative_difference(hw, hw_dense) < 1e-14);

    // Jᵀ H J v through the problem (jvp, H, vjp) against the explicit Jacobian and blocks.
    problem::ResidualProblem problem(net, parallel::Comm::self(), loss::Reduction::mean);
    problem.set_loss_kind(kind);
    problem.set_all(data);
    const auto v = test::random_vector(p, rng);
    std::vector<double> ggn_v;
    problem.ggn_times(v, ggn_v);
    std::vector<double> jv(rows, 0.0), hjv(rows, 0.0), dense(p, 0.0);
    for (std::size_t r = 0; r < rows; ++r)
      for (std::size_t s = 0; s < p; ++s) jv[r] += jt(s, r) * v[s];
    output_loss.hessian_times(e, data.y.storage(), kClasses, jv, hjv);
    for (std::size_t s = 0; s < p; ++s)
      for (std::size_t r = 0; r < rows; ++r) dense[s] += jt(s, r) * hjv[r];
    const double err = test::relative_difference(ggn_v, dense);
    CHECK(err < 1e-12);
    WARN("J^T H J v matrix-free vs explicit J, " << loss::to_string(kind) << ": relative error " << err);
  }
}

TEST_CASE("GGN on the squared loss is LM with mu_LM = mu / c", "[ggn]") {
  Rng rng(34, Stream::test);
  const task::Dataset data = classification_data(6, rng);
  auto ggn_net = small_net(9), lm_net = small_net(9);
  problem::ResidualProblem ggn_problem(ggn_net, parallel::Comm::self(), loss::Reduction::mean);
  problem::ResidualProblem lm_problem(lm_net, parallel::Comm::self(), loss::Reduction::mean);
  ggn_problem.set_all(data);
  lm_problem.set_all(data);
  optim::OptimizerOptions o;
  o.method = optim::Method::ggn;
  o.lr = 0.5;
  o.mu = 0.02;
  optim::GeneralizedGaussNewton(o).step(ggn_problem);
  o.method = optim::Method::lm;
  o.mu = 0.02 * 6;  // c = 1/6: (μI + JᵀJ/6)h = Jᵀe/6  ⇔  (6μI + JᵀJ)h = Jᵀe
  optim::LevenbergMarquardt(o).step(lm_problem);
  CHECK(test::relative_difference(ggn_net.params(), lm_net.params()) < 1e-12);
  CHECK(ggn_net.params() != small_net(9).params());
}
