// LM, GN, SGD, Adam, AdamW single steps against their closed-form definitions; damping
// schedules; adaptive damping and Cholesky-failure handling.
#include <catch2/catch.hpp>

#include <cmath>

#include "pgdx/optim/damping_schedule.hpp"
#include "pgdx/optim/first_order.hpp"
#include "pgdx/optim/gauss_newton.hpp"
#include "pgdx/optim/levenberg_marquardt.hpp"
#include "test_support.hpp"

using namespace pgdx;
using linalg::Matrix;
using linalg::Op;

namespace {

test::LinearProblem random_problem(std::size_t n, std::size_t p, std::uint64_t seed) {
  Rng rng(seed, 0);
  return test::LinearProblem(test::random_matrix(n, p, rng), test::random_vector(n, rng),
                             test::random_vector(p, rng));
}

// (JᵀJ + μ I)⁻¹ Jᵀ e in parameter space, by Cholesky of the p × p matrix: the reference.
std::vector<double> parameter_space_lm_step(const Matrix& j, const std::vector<double>& e, double mu) {
  Matrix a(j.cols(), j.cols());
  linalg::gemm(Op::transpose, Op::none, 1.0, j, j, 0.0, a);
  for (std::size_t i = 0; i < a.rows(); ++i) a(i, i) += mu;
  std::vector<double> g(j.cols());
  linalg::gemv(Op::transpose, 1.0, j, e.data(), 0.0, g.data());
  REQUIRE(linalg::cholesky_factor(a) == 0);
  linalg::cholesky_solve(a, g);
  return g;
}

std::vector<double> step_taken(test::LinearProblem& problem, optim::Optimizer& opt) {
  const auto before = problem.params();
  opt.step(problem);
  std::vector<double> d(before.size());
  for (std::size_t i = 0; i < d.size(); ++i) d[i] = before[i] - problem.params()[i];
  return d;
}

}  // namespace

TEST_CASE("LM step equals the parameter-space formula (J^T J + mu I)^-1 J^T e", "[optim][lm]") {
  for (auto [n, p] : {std::pair<std::size_t, std::size_t>{8, 20}, {20, 8}}) {
    auto problem = random_problem(n, p, 21);
    std::vector<double> e;
    problem.residual(e);
    optim::OptimizerOptions o;
    o.method = optim::Method::lm;
    o.mu = 0.3;
    o.lr = 0.7;
    optim::LevenbergMarquardt lm(o);
    const auto step = step_taken(problem, lm);
    auto reference = parameter_space_lm_step(problem.jacobian(), e, 0.3);
    for (double& v : reference) v *= 0.7;
    INFO("N = " << n << ", p = " << p);
    CHECK(test::relative_difference(step, reference) < 1e-12);
  }
}

TEST_CASE("LM with mu on the mean scale uses n*mu", "[optim][lm]") {
  auto problem = random_problem(10, 25, 22);
  std::vector<double> e;
  problem.residual(e);
  optim::OptimizerOptions o;
  o.method = optim::Method::lm;
  o.mu = 0.05;
  o.mu_scale = optim::MuScale::mean;
  o.lr = 1.0;
  optim::LevenbergMarquardt lm(o);
  optim::StepInfo info;
  const auto before = problem.params();
  info = lm.step(problem);
  std::vector<double> step(before.size());
  for (std::size_t i = 0; i < step.size(); ++i) step[i] = before[i] - problem.params()[i];
  // (μ I + JᵀJ/n)⁻¹ Jᵀe/n = (nμ I + JᵀJ)⁻¹ Jᵀe
  const auto reference = parameter_space_lm_step(problem.jacobian(), e, 10 * 0.05);
  CHECK(test::relative_difference(step, reference) < 1e-12);
  CHECK(info.mu == Approx(0.5));
}

TEST_CASE("GN with cutoff 0 on a full-rank case equals the least-squares (min-norm) step", "[optim][gn]") {
  for (auto [n, p] : {std::pair<std::size_t, std::size_t>{8, 20}, {15, 15}}) {
    auto problem = random_problem(n, p, 23);
    std::vector<double> e;
    problem.residual(e);
    optim::OptimizerOptions o;
    o.method = optim::Method::gn;
    o.gn_cutoff = 0.0;
    o.lr = 1.0;
    optim::GaussNewton gn(o);
    const auto step = step_taken(problem, gn);
    const auto reference = linalg::least_squares_min_norm(problem.jacobian(), e);  // dgelsd (SVD)
    INFO("N = " << n << ", p = " << p);
    CHECK(test::relative_difference(step, reference) < 1e-9);
    std::vector<double> after;
    problem.residual(after);
    CHECK(test::max_abs(after) < 1e-9 * test::max_abs(e));  // J full row rank: interpolates
  }
}

TEST_CASE("GN cutoff is relative to lambda_max by default and drops lambda <= cut", "[optim][gn]") {
  Rng rng(24, 0);
  auto s = test::make_spectral_jacobian(12, 30, 1e-4, 1.0, rng);  // λ from 1e-8 to 1
  test::LinearProblem problem(s.j, test::random_vector(12, rng), test::random_vector(30, rng));
  optim::OptimizerOptions o;
  o.method = optim::Method::gn;
  o.gn_cutoff = 1e-4;  // relative: keeps λ > 1e-4
  optim::GaussNewton gn(o);
  const auto info = gn.step(problem);
  const auto expected = std::count_if(s.lambda.begin(), s.lambda.end(), [](double l) { return l > 1e-4; });
  CHECK(info.gn_rank == expected);
  o.gn_cutoff_mode = optim::CutoffMode::absolute;
  o.gn_cutoff = 1e-6;
  optim::GaussNewton gn_abs(o);
  CHECK(gn_abs.step(problem).gn_rank ==
        std::count_if(s.lambda.begin(), s.lambda.end(), [](double l) { return l > 1e-6; }));
}

TEST_CASE("SGD, Adam and AdamW steps follow their definitions", "[optim][first-order]") {
  auto problem = random_problem(6, 9, 25);
  std::vector<double> e, g;
  problem.residual(e);
  problem.jt_times(e, g);
  const auto theta = problem.params();
  optim::OptimizerOptions o;
  o.lr = 0.01;
  o.weight_decay = 0.1;
  SECTION("SGD with coupled weight decay") {
    o.method = optim::Method::sgd;
    optim::Sgd sgd(o);
    sgd.step(problem);
    for (std::size_t i = 0; i < theta.size(); ++i)
      CHECK(problem.params()[i] == Approx(theta[i] - 0.01 * (g[i] + 0.1 * theta[i])).epsilon(1e-14));
  }
  SECTION("Adam's first step moves every coordinate by lr against the sign of g + wd theta") {
    o.method = optim::Method::adam;
    optim::Adam adam(o);
    adam.step(problem);
    for (std::size_t i = 0; i < theta.size(); ++i) {
      const double gi = g[i] + 0.1 * theta[i];
      const double expected = theta[i] - 0.01 * gi / (std::abs(gi) + 1e-8);
      CHECK(problem.params()[i] == Approx(expected).epsilon(1e-12));
    }
  }
  SECTION("AdamW decays theta by (1 - lr wd) and then takes the Adam step on g") {
    o.method = optim::Method::adamw;
    optim::Adam adamw(o);
    adamw.step(problem);
    for (std::size_t i = 0; i < theta.size(); ++i) {
      const double expected = theta[i] * (1 - 0.01 * 0.1) - 0.01 * g[i] / (std::abs(g[i]) + 1e-8);
      CHECK(problem.params()[i] == Approx(expected).epsilon(1e-12));
    }
    // Second step: bias-corrected moments of the two gradients.
    std::vector<double> e2, g2;
    problem.residual(e2);
    problem.jt_times(e2, g2);
    const auto theta1 = problem.params();
    adamw.step(problem);
    for (std::size_t i = 0; i < theta.size(); ++i) {
      const double m = (0.9 * 0.1 * g[i] + 0.1 * g2[i]) / (1 - 0.81);
      const double v = (0.999 * 0.001 * g[i] * g[i] + 0.001 * g2[i] * g2[i]) / (1 - 0.999 * 0.999);
      const double expected = theta1[i] * (1 - 0.001) - 0.01 * m / (std::sqrt(v) + 1e-8);
      CHECK(problem.params()[i] == Approx(expected).epsilon(1e-10));
    }
  }
}

TEST_CASE("log-linear damping schedule: mu(250) = 1e-3 for 1e-2 -> 1e-4 over 500", "[optim][damping]") {
  using optim::DampingSchedule;
  CHECK(DampingSchedule::loglinear(1e-2, 1e-4, 500, 0) == Approx(1e-2).epsilon(1e-14));
  CHECK(DampingSchedule::loglinear(1e-2, 1e-4, 500, 250) == Approx(1e-3).epsilon(1e-12));
  CHECK(DampingSchedule::loglinear(1e-2, 1e-4, 500, 500) == 1e-4);
  CHECK(DampingSchedule::loglinear(1e-2, 1e-4, 500, 9999) == 1e-4);
  CHECK(DampingSchedule::loglinear(1.0, 0.1, 200, 100) == Approx(std::pow(10.0, -0.5)).epsilon(1e-12));
  optim::OptimizerOptions o;
  o.mu = 1e-2;
  o.mu_final = 1e-4;
  o.mu_decay_steps = 500;
  o.damping = optim::DampingKind::loglinear;
  DampingSchedule schedule(o);
  for (int i = 0; i < 250; ++i) schedule.finish_step();
  CHECK(schedule.mu() == Approx(1e-3).epsilon(1e-12));
}

TEST_CASE("adaptive damping follows Nielsen's rule", "[optim][damping]") {
  optim::OptimizerOptions o;
  o.mu = 1.0;
  o.damping = optim::DampingKind::adaptive;
  optim::DampingSchedule s(o);
  s.accepted(1.0);  // perfect model: shrink by the floor 1/3
  CHECK(s.mu() == Approx(1.0 / 3.0));
  s.accepted(0.5);  // 1 − 0³ = 1: unchanged
  CHECK(s.mu() == Approx(1.0 / 3.0));
  s.rejected();  // × ν = 2
  s.rejected();  // × ν = 4
  CHECK(s.mu() == Approx(8.0 / 3.0));
  s.accepted(0.75);  // 1 − 0.5³ = 0.875, ν reset
  CHECK(s.mu() == Approx(8.0 / 3.0 * 0.875));
  s.rejected();
  CHECK(s.mu() == Approx(8.0 / 3.0 * 0.875 * 2.0));
}

// e(θ) = (θ₁² − 1, θ₂): a curved problem where an undamped full step overshoots.
class CurvedProblem final : public problem::LeastSquaresProblem {
 public:
  std::size_t num_params() const override { return 2; }
  const std::vector<double>& params() const override { return theta_; }
  void set_params(const std::vector<double>& t) override { theta_ = t; }
  std::size_t num_samples() const override { return 2; }
  double loss_scale() const override { return 1.0; }
  void residual(std::vector<double>& e) override { e = {theta_[0] * theta_[0] - 1.0, theta_[1]}; }
  void gram(parallel::DistMatrix& k) override {
    k = parallel::DistMatrix(nullptr, 2, 2);
    k.local(0, 0) = 4 * theta_[0] * theta_[0];
    k.local(1, 1) = 1.0;
  }
  void jt_times(const std::vector<double>& z, std::vector<double>& out) override {
    out = {2 * theta_[0] * z[0], z[1]};
  }
  void j_times(const std::vector<double>& v, std::vector<double>& out) override {
    out = {2 * theta_[0] * v[0], v[1]};
  }
  std::vector<double> theta_ = {0.05, 1.0};
};

TEST_CASE("adaptive LM rejects a step that raises the loss, reverts theta and raises mu", "[optim][lm]") {
  CurvedProblem problem;
  optim::OptimizerOptions o;
  o.method = optim::Method::lm;
  o.lr = 1.0;
  o.mu = 1e-6;  // nearly Gauss–Newton: θ₁ jumps to ~10, far worse
  o.damping = optim::DampingKind::adaptive;
  optim::LevenbergMarquardt lm(o);
  std::vector<double> e0;
  problem.residual(e0);
  const double loss0 = 0.5 * (e0[0] * e0[0] + e0[1] * e0[1]);
  const auto info = lm.step(problem);
  CHECK(info.attempts > 1);
  CHECK(info.accepted);
  CHECK(info.rho > 0);
  CHECK(info.mu > 1e-6);
  std::vector<double> e1;
  problem.residual(e1);
  CHECK(0.5 * (e1[0] * e1[0] + e1[1] * e1[1]) < loss0);

  o.max_attempts = 1;
  optim::LevenbergMarquardt one_try(o);
  CurvedProblem fresh;
  const auto theta0 = fresh.params();
  const auto rejected = one_try.step(fresh);
  CHECK_FALSE(rejected.accepted);
  CHECK(fresh.params() == theta0);
  CHECK(one_try.damping().mu() == Approx(2e-6));
}

TEST_CASE("gain ratio is 1 on an exactly linear problem", "[optim][lm]") {
  auto problem = random_problem(7, 12, 26);
  optim::OptimizerOptions o;
  o.method = optim::Method::lm;
  o.lr = 0.3;
  optim::LevenbergMarquardt lm(o);
  CHECK(lm.step(problem).rho == Approx(1.0).epsilon(1e-9));
}

TEST_CASE("a failing Cholesky raises mu, then falls back to the eigen solve", "[optim][lm]") {
  // K with a clearly negative eigenvalue (not a Gram matrix, so no μ below |λ_min| factorises).
  parallel::DistMatrix k(nullptr, 3, 3);
  k.local(0, 0) = 1.0;
  k.local(1, 1) = -1.0;
  k.local(2, 2) = 2.0;
  const std::vector<double> e = {1.0, 1.0, 1.0};
  optim::DirectGramSolver solver;
  SECTION("raising mu rescues the factorisation") {
    const auto s = solver.solve_damped(k, e, 0.1, 3, 100.0);  // 0.1 → 10 succeeds
    CHECK(s.fallbacks == 1);
    CHECK_FALSE(s.eigen_fallback);
    CHECK(s.mu_used == Approx(10.0));
    CHECK(s.z[1] == Approx(1.0 / 9.0));
  }
  SECTION("too few retries: eigen solve with eigenvalues clamped at zero") {
    const auto s = solver.solve_damped(k, e, 0.1, 1, 2.0);  // 0.1, 0.2 both fail
    CHECK(s.fallbacks == 2);
    CHECK(s.eigen_fallback);
    CHECK(s.z[0] == Approx(1.0 / 1.2));
    CHECK(s.z[1] == Approx(1.0 / 0.2));
    CHECK(s.z[2] == Approx(1.0 / 2.2));
  }
}
