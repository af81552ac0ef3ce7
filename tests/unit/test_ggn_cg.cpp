// The matrix-free GGN step (optimizer.solver = "cg"): conjugate gradients against a Cholesky
// solve and its stop reasons, one GGN–CG step against the dense solve of (μI + JᵀHJ)h = g + λθ,
// and the Armijo line search's accept and failure paths.
#include <catch2/catch.hpp>

#include <cmath>

#include "classification_fixtures.hpp"
#include "dense_ggn.hpp"
#include "pgdx/linalg/blas.hpp"
#include "pgdx/model/mlp.hpp"
#include "pgdx/model/transformer.hpp"
#include "pgdx/task/modular_addition_sequence.hpp"
#include "pgdx/optim/ggn_conjugate_gradient.hpp"
#include "pgdx/problem/residual_problem.hpp"
#include "test_support.hpp"

using namespace pgdx;
using linalg::Matrix;

namespace {

constexpr std::size_t kClasses = 4;

model::Mlp small_net(std::uint64_t seed) { return test::classification_net(seed, 3, 6, kClasses); }

task::Dataset classification_data(std::size_t n, Rng& rng) { return test::classification_data(n, 3, kClasses, rng); }

// A = Q diag(λ) Qᵀ with the given eigenvalues.
Matrix with_eigenvalues(const std::vector<double>& lambda, Rng& rng) {
  const std::size_t n = lambda.size();
  const Matrix q = test::random_orthogonal(n, rng);
  Matrix a(n, n);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j) {
      double s = 0.0;
      for (std::size_t k = 0; k < n; ++k) s += q(i, k) * lambda[k] * q(j, k);
      a(i, j) = s;
    }
  return a;
}

auto product_of(const Matrix& a) {
  return [&a](const std::vector<double>& v, std::vector<double>& out) {
    out.assign(v.size(), 0.0);
    for (std::size_t i = 0; i < v.size(); ++i)
      for (std::size_t j = 0; j < v.size(); ++j) out[i] += a(i, j) * v[j];
  };
}

optim::OptimizerOptions cg_options(double mu, double lambda, double lr) {
  optim::OptimizerOptions o;
  o.method = optim::Method::ggn;
  o.solver = optim::CurvatureSolver::cg;
  o.mu = mu;
  o.weight_decay = lambda;
  o.lr = lr;
  o.cg_tolerance = 1e-13;
  o.cg_max_iterations = 1000;
  return o;
}

}  // namespace

TEST_CASE("conjugate gradients solve an SPD system as Cholesky does, and say why they stopped", "[ggn][cg]") {
  Rng rng(71, Stream::test);
  const std::size_t n = 40;
  std::vector<double> lambda(n);
  for (std::size_t i = 0; i < n; ++i) lambda[i] = std::pow(10.0, -2.0 + 4.0 * static_cast<double>(i) / (n - 1));
  const Matrix a = with_eigenvalues(lambda, rng);
  const auto b = test::random_vector(n, rng);
  std::vector<double> h;
  const auto result = optim::conjugate_gradient(product_of(a), b, 1e-12, 500, h);
  Matrix factor = a;
  REQUIRE(linalg::cholesky_factor(factor) == 0);
  std::vector<double> dense = b;
  linalg::cholesky_solve(factor, dense);
  CHECK(result.stop == optim::CgStop::converged);
  CHECK(result.relative_residual <= 1e-12);
  CHECK(test::relative_difference(h, dense) < 1e-9);

  const auto capped = optim::conjugate_gradient(product_of(a), b, 1e-12, 3, h);
  CHECK(capped.stop == optim::CgStop::max_iterations);
  CHECK(capped.iterations == 3);
  CHECK(capped.relative_residual > 1e-12);

  lambda[0] = -1.0;  // indefinite: CG meets a direction of negative curvature within n steps
  const Matrix indefinite = with_eigenvalues(lambda, rng);
  const auto stopped = optim::conjugate_gradient(product_of(indefinite), b, 1e-14, 500, h);
  CHECK(stopped.stop == optim::CgStop::nonpositive_curvature);
  CHECK(stopped.iterations < 500);
}

TEST_CASE("one GGN-CG step equals the dense solve of (mu I + J^T H J) h = J^T q + lambda theta", "[ggn][cg]") {
  Rng rng(73, Stream::test);
  const task::Dataset data = classification_data(7, rng);
  auto net = small_net(5);
  const std::vector<double> theta0 = net.params();
  const double mu = 0.2, lambda = 0.01;
  auto [a, rhs] = test::dense_ggn_system(net, data, mu, lambda);
  REQUIRE(linalg::cholesky_factor(a) == 0);
  linalg::cholesky_solve(a, rhs);

  problem::ResidualProblem problem(net, parallel::Comm::self(), loss::Reduction::mean);
  problem.set_loss_kind(loss::LossKind::cross_entropy);
  problem.set_all(data);
  // A tiny η0 and c: the first trial passes, so θ1 = θ0 − η0 h exactly.
  optim::OptimizerOptions o = cg_options(mu, lambda, 1e-3);
  o.armijo_c = 1e-8;
  optim::GgnConjugateGradient ggn(o);
  const auto info = ggn.step(problem);
  REQUIRE(info.accepted);
  CHECK(info.armijo_trials == 1);
  CHECK(info.lr == 1e-3);
  CHECK(info.cg_stop == static_cast<int>(optim::CgStop::converged));
  CHECK(info.cg_iterations > 0);
  CHECK(info.model_decrease > 0.0);
  std::vector<double> step(theta0.size());
  for (std::size_t s = 0; s < step.size(); ++s) step[s] = (theta0[s] - net.params()[s]) / 1e-3;
  const double err = test::relative_difference(step, rhs);
  CHECK(err < 1e-8);
  WARN("GGN-CG step vs dense solve: relative error " << err << " after " << info.cg_iterations << " CG iterations");
}

TEST_CASE("Armijo backtracking: accepts the first eta that decreases the loss enough, else skips or takes the smallest",
          "[ggn][cg][armijo]") {
  Rng rng(79, Stream::test);
  const task::Dataset data = classification_data(9, rng);
  auto loss_at = [&](const std::vector<double>& theta) {
    auto net = small_net(3);
    net.set_params(theta);
    problem::ResidualProblem problem(net, parallel::Comm::self(), loss::Reduction::mean);
    problem.set_loss_kind(loss::LossKind::cross_entropy);
    problem.set_all(data);
    return problem.loss();
  };
  struct Outcome {
    optim::StepInfo info;
    std::vector<double> theta0, theta1, h;
    double loss0;
  };
  auto run = [&](optim::OptimizerOptions o) {
    auto net = small_net(3);
    Outcome out;
    out.theta0 = net.params();
    out.loss0 = loss_at(out.theta0);
    problem::ResidualProblem problem(net, parallel::Comm::self(), loss::Reduction::mean);
    problem.set_loss_kind(loss::LossKind::cross_entropy);
    problem.set_all(data);
    optim::GgnConjugateGradient ggn(o);
    out.info = ggn.step(problem);
    out.theta1 = net.params();
    return out;
  };

  SECTION("a large eta0 is halved until the Armijo condition holds") {
    optim::OptimizerOptions o = cg_options(0.05, 0.0, 64.0);
    const Outcome r = run(o);
    REQUIRE(r.info.accepted);
    CHECK(r.info.armijo_trials > 1);
    CHECK(r.info.lr == 64.0 * std::pow(0.5, r.info.armijo_trials - 1));
    // h from the accepted step; the accepted η passes, the one before it (2η) does not.
    std::vector<double> h(r.theta0.size()), trial(r.theta0.size());
    for (std::size_t i = 0; i < h.size(); ++i) h[i] = (r.theta0[i] - r.theta1[i]) / r.info.lr;
    // gᵀh from the model: ½ curvature aside, compare the loss decrease against c η gᵀh with gᵀh ≥ model decrease.
    CHECK(loss_at(r.theta1) < r.loss0);
    for (std::size_t i = 0; i < h.size(); ++i) trial[i] = r.theta0[i] - 2.0 * r.info.lr * h[i];
    CHECK(loss_at(trial) > loss_at(r.theta1));
  }
  SECTION("no trial passes: skip leaves theta, smallest takes eta0 tau^(k-1)") {
    optim::OptimizerOptions o = cg_options(0.05, 0.0, 1e6);
    o.armijo_max_trials = 3;
    o.armijo_failure = optim::ArmijoFailure::skip;
    const Outcome skipped = run(o);
    CHECK_FALSE(skipped.info.accepted);
    CHECK(skipped.info.armijo_trials == 3);
    CHECK(skipped.theta1 == skipped.theta0);

    o.armijo_failure = optim::ArmijoFailure::smallest;
    const Outcome smallest = run(o);
    CHECK(smallest.info.accepted);
    CHECK(smallest.info.armijo_trials == 3);
    CHECK(smallest.info.lr == 0.25e6);
    CHECK(loss_at(smallest.theta1) > smallest.loss0);  // taken though it failed: the documented choice
  }
}

TEST_CASE("on a tiny transformer the GGN product is J^T H J v of the explicit Jacobian and the CG step the dense solve",
          "[ggn][cg][transformer]") {
  model::TransformerOptions o;  // vocabulary 11 = modulus 9 + 2
  o.vocab = 11;
  o.width = 8;
  o.heads = 2;
  o.blocks = 2;
  o.mlp_width = 16;
  model::Transformer net(o, model::Activation::gelu, 4);
  REQUIRE(net.num_params() <= 3000);
  const task::ModularAdditionSequence sequences(9, 0.5, 1);
  task::Dataset data;
  sequences.train().x.copy_columns(0, 6, data.x);
  sequences.train().y.copy_columns(0, 6, data.y);
  const double mu = 0.05;
  auto [a, rhs] = test::dense_ggn_system(net, data, mu, 0.0);

  problem::ResidualProblem problem(net, parallel::Comm::self(), loss::Reduction::mean);
  problem.set_loss_kind(loss::LossKind::cross_entropy);
  problem.set_all(data);
  Rng rng(97, Stream::test);
  const auto v = test::random_vector(net.num_params(), rng);
  std::vector<double> ggn_v, dense_v(v.size(), 0.0);
  problem.ggn_times(v, ggn_v);
  for (std::size_t i = 0; i < v.size(); ++i)
    for (std::size_t j = 0; j < v.size(); ++j) dense_v[i] += (a(i, j) - (i == j ? mu : 0.0)) * v[j];
  const double product_error = test::relative_difference(ggn_v, dense_v);
  CHECK(product_error < 1e-12);

  const std::vector<double> theta0 = net.params();
  REQUIRE(linalg::cholesky_factor(a) == 0);
  linalg::cholesky_solve(a, rhs);
  optim::OptimizerOptions opt = cg_options(mu, 0.0, 1e-4);
  opt.armijo_c = 1e-8;
  optim::GgnConjugateGradient ggn(opt);
  const auto info = ggn.step(problem);
  REQUIRE(info.accepted);
  REQUIRE(info.armijo_trials == 1);
  std::vector<double> step(theta0.size());
  for (std::size_t i = 0; i < step.size(); ++i) step[i] = (theta0[i] - net.params()[i]) / 1e-4;
  const double step_error = test::relative_difference(step, rhs);
  CHECK(step_error < 1e-8);
  WARN("tiny transformer (p = " << net.num_params() << "): GGN product vs explicit J^T H J v " << product_error
                                << ", CG step vs dense solve " << step_error << " after " << info.cg_iterations
                                << " iterations");
}
