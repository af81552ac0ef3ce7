// The kernel diagnostic's pieces (diag/kernel_modes.hpp, optim/mode_rates.hpp,
// diag/kernel_diagnostic.hpp): band energies add up to ‖e‖², the lemmas' per-step factors against
// hand computations and against one real step of each optimizer on an exactly linear model, and
// the diagnostic on a small network against an explicit J Jᵀ.
#include <catch2/catch.hpp>

#include <cmath>
#include <numeric>

#include "pgdx/diag/kernel_diagnostic.hpp"
#include "pgdx/diag/kernel_modes.hpp"
#include "pgdx/diag/weights.hpp"
#include "pgdx/model/mlp.hpp"
#include "pgdx/optim/first_order.hpp"
#include "pgdx/optim/make_optimizer.hpp"
#include "pgdx/optim/mode_rates.hpp"
#include "pgdx/problem/output_minus_target.hpp"
#include "test_support.hpp"

using namespace pgdx;
using linalg::Matrix;

namespace {

// K = U diag(λ) Uᵀ with λ log-spaced over [λ_min, λ_max] (both triangles).
Matrix kernel_with_spectrum(std::size_t m, double lambda_min, double lambda_max, Rng& rng) {
  const Matrix u = test::random_orthogonal(m, rng);
  Matrix k(m, m);
  for (std::size_t i = 0; i < m; ++i) {
    const double lambda = lambda_min * std::pow(lambda_max / lambda_min, double(i) / double(m - 1));
    for (std::size_t c = 0; c < m; ++c)
      for (std::size_t r = 0; r < m; ++r) k(r, c) += lambda * u(r, i) * u(c, i);
  }
  return k;
}

// The problem of test::LinearProblem with the mean loss L = (1/N)·½‖e‖²: SGD's gradient is (1/N)·Jᵀe.
class MeanLinearProblem final : public problem::LeastSquaresProblem {
 public:
  explicit MeanLinearProblem(test::LinearProblem& linear) : linear_(linear) {}
  std::size_t num_params() const override { return linear_.num_params(); }
  const std::vector<double>& params() const override { return linear_.params(); }
  void set_params(const std::vector<double>& theta) override { linear_.set_params(theta); }
  std::size_t num_samples() const override { return linear_.num_samples(); }
  double loss_scale() const override { return 1.0 / double(linear_.num_samples()); }
  void residual(std::vector<double>& e) override { linear_.residual(e); }
  void gram(parallel::DistMatrix& k) override { linear_.gram(k); }
  void jt_times(const std::vector<double>& z, std::vector<double>& out) override { linear_.jt_times(z, out); }
  void j_times(const std::vector<double>& v, std::vector<double>& out) override { linear_.j_times(v, out); }

 private:
  test::LinearProblem& linear_;
};

}  // namespace

TEST_CASE("kernel eigen-bands: decades of lambda/lambda_max, and the energy per band adds up to |e|^2", "[diag][ntk]") {
  CHECK(diag::eigen_band(2.0, 2.0) == 0);
  CHECK(diag::eigen_band(0.2, 2.0) == 0);   // 10^-1 belongs to the upper band
  CHECK(diag::eigen_band(0.19, 2.0) == 1);
  CHECK(diag::eigen_band(2e-7, 2.0) == 6);
  CHECK(diag::eigen_band(1e-9, 2.0) == diag::kKernelBands - 1);
  CHECK(diag::eigen_band(0.0, 2.0) == diag::kKernelBands - 1);
  CHECK(diag::eigen_band(-1e-16, 2.0) == diag::kKernelBands - 1);
  CHECK(diag::eigen_band(1.0, 0.0) == diag::kKernelBands - 1);

  Rng rng(5, Stream::test);
  const std::size_t m = 30;
  const Matrix k = kernel_with_spectrum(m, 1e-10, 3.0, rng);
  const diag::KernelEigen eigen = diag::kernel_eigen(k);
  REQUIRE(eigen.lambda.size() == m);
  CHECK(std::is_sorted(eigen.lambda.rbegin(), eigen.lambda.rend()));
  CHECK(eigen.lambda.front() == Approx(3.0).epsilon(1e-12));
  const std::vector<double> e = test::random_vector(m, rng);
  std::vector<double> projection;
  diag::project(eigen.u, e, projection);
  const std::vector<double> energy = diag::band_energy(eigen.lambda, projection);
  REQUIRE(energy.size() == diag::kKernelBands);
  const double total = std::accumulate(energy.begin(), energy.end(), 0.0);
  CHECK(total == Approx(std::inner_product(e.begin(), e.end(), e.begin(), 0.0)).epsilon(1e-13));
  for (double v : energy) CHECK(v > 0.0);  // 30 modes over ten decades: every band has some
}

TEST_CASE("kernel eigenvectors: descending, canonical sign, and U diag(lambda) U^T = K", "[diag][ntk]") {
  Rng rng(6, Stream::test);
  const std::size_t m = 12;
  const Matrix k = kernel_with_spectrum(m, 1e-3, 1.0, rng);
  const diag::KernelEigen eigen = diag::kernel_eigen(k);
  for (std::size_t i = 0; i < m; ++i) {
    const double* u = eigen.u.col(i);
    const auto largest = std::max_element(u, u + m, [](double a, double b) { return std::abs(a) < std::abs(b); });
    CHECK(*largest > 0.0);
  }
  for (std::size_t c = 0; c < m; ++c)
    for (std::size_t r = 0; r < m; ++r) {
      double v = 0.0;
      for (std::size_t i = 0; i < m; ++i) v += eigen.u(r, i) * eigen.lambda[i] * eigen.u(c, i);
      CHECK(v == Approx(k(r, c)).margin(1e-14));
    }
}

TEST_CASE("measured rates are per-step geometric means, kernel-target alignment is 1 for K = y y^T", "[diag][ntk]") {
  const auto rates = diag::measured_rates({1.0, -2.0, 0.0}, {0.25, 1.0, 3.0}, 2);
  CHECK(rates[0] == Approx(0.5));
  CHECK(rates[1] == Approx(std::sqrt(0.5)));
  CHECK(std::isnan(rates[2]));
  const std::vector<double> y = {1.0, -2.0, 0.5};
  Matrix k(3, 3);
  for (std::size_t c = 0; c < 3; ++c)
    for (std::size_t r = 0; r < 3; ++r) k(r, c) = 4.0 * y[r] * y[c];
  CHECK(diag::kernel_target_alignment(k, y) == Approx(1.0).epsilon(1e-14));
  Matrix identity(3, 3);
  for (std::size_t i = 0; i < 3; ++i) identity(i, i) = 1.0;
  CHECK(diag::kernel_target_alignment(identity, y) == Approx(1.0 / std::sqrt(3.0)).epsilon(1e-14));
}

TEST_CASE("the lemmas' per-step factors, computed by hand", "[optim][ntk]") {
  optim::ModeRateScales s;
  s.lr = 0.01;
  s.loss_scale = 1.0 / 100.0;  // mean over n = 100
  CHECK(optim::linearized_mode_factor(test::optimizer_options(optim::Method::sgd, 0.01), 50.0, s) == Approx(0.995).epsilon(1e-15));
  s.mu_sum = 0.1;
  CHECK(optim::linearized_mode_factor(test::optimizer_options(optim::Method::lm, 0.01), 0.3, s) == Approx(0.9925).epsilon(1e-15));
  auto gn = test::optimizer_options(optim::Method::gn, 0.01);
  gn.gn_cutoff = 0.25;
  s.lambda_max = 8.0;  // relative cut-off at 2 (exact in binary)
  CHECK(optim::linearized_mode_factor(gn, 2.5, s) == Approx(0.99).epsilon(1e-15));
  CHECK(optim::linearized_mode_factor(gn, 2.0, s) == 1.0);  // λ = cut is dropped
  CHECK(optim::linearized_mode_factor(gn, 0.0, s) == 1.0);
  gn.gn_cutoff_mode = optim::CutoffMode::absolute;
  gn.gn_cutoff = 1e-3;
  CHECK(optim::linearized_mode_factor(gn, 2e-3, s) == Approx(0.99).epsilon(1e-15));
  CHECK(optim::linearized_mode_factor(gn, 5e-4, s) == 1.0);
  auto decayed = test::optimizer_options(optim::Method::sgd, 0.01);
  decayed.weight_decay = 0.1;
  for (const auto& o : {test::optimizer_options(optim::Method::adam, 0.01), test::optimizer_options(optim::Method::adamw, 0.01),
                        test::optimizer_options(optim::Method::ggn, 0.01), decayed})
    CHECK(std::isnan(optim::linearized_mode_factor(o, 1.0, s)));
}

TEST_CASE("one step of SGD, LM and GN on a linear model multiplies each mode by the predicted factor", "[optim][ntk]") {
  Rng rng(7, Stream::test);
  const std::size_t n = 20, p = 50;
  const test::SpectralJacobian s = test::make_spectral_jacobian(n, p, 1e-4, 3.0, rng);
  const std::vector<double> e0 = test::random_vector(n, rng), theta0 = test::random_vector(p, rng);
  const double lambda_max = *std::max_element(s.lambda.begin(), s.lambda.end());
  auto lm_mean = test::optimizer_options(optim::Method::lm, 0.7);
  lm_mean.mu = 0.05;
  lm_mean.mu_scale = optim::MuScale::mean;  // μ_sum = n·μ: the scale /history/mu reports
  auto gn = test::optimizer_options(optim::Method::gn, 0.3);
  gn.gn_cutoff = 1e-5;
  struct Case {
    const char* name;
    optim::OptimizerOptions options;
    bool mean_loss;
  } cases[] = {{"sgd, sum", test::optimizer_options(optim::Method::sgd, 0.1), false},
               {"sgd, mean", test::optimizer_options(optim::Method::sgd, 2.0), true},
               {"lm, mean mu", lm_mean, false},
               {"gn, relative cutoff", gn, false}};
  for (const Case& c : cases) {
    INFO(c.name);
    test::LinearProblem linear(s.j, e0, theta0);
    MeanLinearProblem mean(linear);
    problem::LeastSquaresProblem& problem = c.mean_loss ? static_cast<problem::LeastSquaresProblem&>(mean) : linear;
    const auto step = optim::make_optimizer(c.options)->step(problem);
    std::vector<double> e;
    problem.residual(e);
    const auto before = test::modal(s.u, e0), after = test::modal(s.u, e);
    optim::ModeRateScales scales;
    scales.lr = step.lr;
    scales.mu_sum = step.mu;
    scales.loss_scale = problem.loss_scale();
    scales.lambda_max = lambda_max;
    for (std::size_t i = 0; i < n; ++i) {
      const double factor = optim::linearized_mode_factor(c.options, s.lambda[i], scales);
      INFO("mode " << i << ", lambda " << s.lambda[i]);
      CHECK(after[i] / before[i] == Approx(factor).margin(1e-9));
    }
  }
}

TEST_CASE("the probe is the training set when small, else a seeded sorted subset", "[diag][ntk]") {
  const auto all = diag::kernel_probe_samples(50, 100, 3);
  CHECK(all.size() == 50);
  CHECK(all.back() == 49);
  const auto some = diag::kernel_probe_samples(1000, 40, 3);
  CHECK(some.size() == 40);
  CHECK(std::is_sorted(some.begin(), some.end()));
  CHECK(std::adjacent_find(some.begin(), some.end()) == some.end());
  CHECK(some == diag::kernel_probe_samples(1000, 40, 3));
  CHECK(some != diag::kernel_probe_samples(1000, 40, 4));
}

TEST_CASE("the kernel diagnostic on a small network: K = J J^T, energies, drift and rates of GD", "[diag][ntk]") {
  model::MlpOptions o;
  o.layers = {1, 256, 1};
  o.init = model::Init::glorot_normal;
  o.bias_init = model::Init::glorot_normal;
  model::Mlp net(o, 4);
  const std::size_t n = 16;
  task::Dataset data{Matrix(1, n), Matrix(1, n), {}};
  for (std::size_t j = 0; j < n; ++j) {
    data.x(0, j) = double(j) / double(n - 1);
    data.y(0, j) = std::sin(3.0 * data.x(0, j));
  }
  problem::OutputMinusTarget residual(net);
  diag::KernelDiagnosticOptions options;
  options.every = 5;
  options.last_step = 5;
  options.phase_optimizers = {test::optimizer_options(optim::Method::sgd, 0.02)};
  diag::KernelDiagnostic kernel(residual, data, parallel::Comm::self(), options);
  problem::ResidualProblem train(residual, parallel::Comm::self(), options.reduction);
  train.set_all(data);

  const std::vector<double> theta0 = net.params();
  std::vector<double> e;
  train.residual(e);
  Record first;
  kernel.measure({0, net.params(), theta0, e}, first);
  REQUIRE(first.rows.size() == 5);
  Matrix jt;
  net.jacobian_transposed(data.x, jt);
  Matrix k(n, n);
  linalg::gemm(linalg::Op::transpose, linalg::Op::none, 1.0, jt, jt, 0.0, k);
  const diag::KernelEigen reference = diag::kernel_eigen(k);
  const std::vector<double>& eigenvalues = first.rows[0].second;
  for (std::size_t i = 0; i < n; ++i) CHECK(eigenvalues[i] == Approx(reference.lambda[i]).margin(1e-12 * reference.lambda[0]));
  const std::vector<double>& energy = first.rows[2].second;
  CHECK(std::accumulate(energy.begin(), energy.end(), 0.0) ==
        Approx(std::inner_product(e.begin(), e.end(), e.begin(), 0.0)).epsilon(1e-12));
  REQUIRE(first.scalars.size() == 4);
  CHECK(first.scalars[1].second == 0.0);  // kernel drift at θ₀
  CHECK(std::isnan(first.scalars[3].second));  // no linearisation gap before θ moves

  optim::Sgd gd(options.phase_optimizers[0]);
  optim::StepInfo info;
  for (int t = 0; t < 5; ++t) info = gd.step(train);
  train.residual(e);
  Record last;
  last.reals.emplace_back("lr", info.lr);
  last.reals.emplace_back("mu", info.mu);
  kernel.measure({5, net.params(), theta0, e, 0, 1, 0}, last);
  CHECK(last.scalars[0].second == Approx(diag::relative_distance(net.params(), theta0)));
  CHECK(last.scalars[1].second > 0.0);
  CHECK(last.scalars[3].second < 0.05);  // a wide network moved little: nearly linear
  const std::vector<double>& measured = last.rows[3].second;
  const std::vector<double>& predicted = last.rows[4].second;
  for (std::size_t i = 0; i < 3; ++i) {  // the top modes, far above round-off
    INFO("mode " << i << ", lambda " << eigenvalues[i]);
    CHECK(predicted[i] == Approx(std::abs(1.0 - 0.02 * eigenvalues[i] / double(n))).epsilon(1e-12));
    CHECK(measured[i] == Approx(predicted[i]).epsilon(0.01));
  }
}
