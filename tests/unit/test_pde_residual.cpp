// The PINN's residual (paper Fig. 4): Δu_θ against finite differences in x and against the closed
// form of a one-hidden-layer net; its θ-Jacobian, the vjp and the residual operator against
// finite differences in θ. Each check prints its max relative error (the issue asks ≤ 1e-6).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>

#include "pgdx/problem/laplacian_residual.hpp"
#include "pgdx/model/mlp_laplacian.hpp"
#include "pgdx/task/pinn_poisson.hpp"
#include "test_support.hpp"

using namespace pgdx;
using linalg::Matrix;

namespace {

model::Mlp make_net(std::vector<std::size_t> layers, model::Activation activation, bool bias, std::uint64_t seed) {
  model::MlpOptions o;
  o.layers = std::move(layers);
  o.activation = activation;
  o.init = model::Init::glorot_normal;
  o.bias_init = model::Init::standard_normal;
  o.bias = bias;
  o.output_scale = 0.8;
  return model::Mlp(o, seed);
}

Matrix points(std::size_t d, std::size_t n, Rng& rng) {
  Matrix x(d, n);
  for (double& v : x.storage()) v = rng.uniform(0.0, 1.0);
  return x;
}

double report(const char* what, double error) {
  std::printf("  %-58s max relative error %.2e\n", what, error);
  return error;
}

// Δu by a fourth-order central stencil in each input axis (truncation O(h⁴)).
std::vector<double> fd_laplacian(model::Mlp& net, const Matrix& x, double h) {
  const std::size_t n = x.cols(), d = x.rows();
  std::vector<double> lap(n, 0.0);
  Matrix shifted = x, f;
  const double weights[5] = {-1.0, 16.0, -30.0, 16.0, -1.0};
  for (std::size_t k = 0; k < d; ++k)
    for (int s = -2; s <= 2; ++s) {
      shifted = x;
      for (std::size_t j = 0; j < n; ++j) shifted(k, j) += s * h;
      net.forget_cached_forward();
      net.forward(shifted, f);
      for (std::size_t j = 0; j < n; ++j) lap[j] += weights[s + 2] * f(0, j) / (12.0 * h * h);
    }
  net.forget_cached_forward();
  return lap;
}

struct NetCase {
  std::vector<std::size_t> layers;
  model::Activation activation;
  bool bias;
  const char* name;
};

const NetCase kCases[] = {
    {{2, 16, 1}, model::Activation::tanh, true, "2-16-1 tanh"},
    {{2, 7, 5, 1}, model::Activation::tanh, true, "2-7-5-1 tanh"},
    {{3, 6, 4, 1}, model::Activation::tanh, false, "3-6-4-1 tanh, no biases"},
    {{2, 6, 4, 1}, model::Activation::quadratic, true, "2-6-4-1 quadratic"},
};

}  // namespace

TEST_CASE("Laplacian of an MLP agrees with a fourth-order finite-difference stencil", "[pde]") {
  Rng rng(5, Stream::test);
  for (const NetCase& c : kCases) {
    auto net = make_net(c.layers, c.activation, c.bias, 11);
    model::MlpLaplacian laplacian(net);
    const Matrix x = points(c.layers.front(), 9, rng);
    Matrix u, lap, f;
    laplacian.evaluate(x, u, lap);
    net.forward(x, f);
    CHECK(test::relative_difference(u.storage(), f.storage()) < 1e-14);  // the value is the model's
    const double error = report((std::string("Δu vs FD in x, ") + c.name).c_str(),
                                test::relative_difference(lap.storage(), fd_laplacian(net, x, 1e-2)));
    CHECK(error < 1e-6);
  }
}

TEST_CASE("Laplacian of a one-hidden-layer net equals the closed form of EXPERIMENTS.md §3", "[pde]") {
  // u = s(Σ_j a_j tanh(w_j·x + b_j) + c)  ⇒  Δu = s Σ_j a_j ‖w_j‖² tanh''(z_j), tanh'' = −2t(1 − t²).
  auto net = make_net({2, 12, 1}, model::Activation::tanh, true, 3);
  Rng rng(6, Stream::test);
  const Matrix x = points(2, 7, rng);
  const auto& th = net.params();
  const std::size_t w1 = net.weight_offset(0), b1 = net.bias_offset(0), w2 = net.weight_offset(1);
  std::vector<double> closed(x.cols(), 0.0);
  for (std::size_t i = 0; i < x.cols(); ++i)
    for (std::size_t j = 0; j < 12; ++j) {
      const double wx = th[w1 + 2 * j], wy = th[w1 + 2 * j + 1];
      const double t = std::tanh(wx * x(0, i) + wy * x(1, i) + th[b1 + j]);
      closed[i] += 0.8 * th[w2 + j] * (wx * wx + wy * wy) * (-2.0 * t * (1.0 - t * t));
    }
  model::MlpLaplacian laplacian(net);
  Matrix u, lap;
  laplacian.evaluate(x, u, lap);
  CHECK(report("Δu vs closed form, 2-12-1 tanh", test::relative_difference(lap.storage(), closed)) < 1e-13);
}

TEST_CASE("θ-Jacobian of u and Δu agrees with central differences in θ", "[pde]") {
  Rng rng(7, Stream::test);
  for (const NetCase& c : kCases) {
    auto net = make_net(c.layers, c.activation, c.bias, 13);
    model::MlpLaplacian laplacian(net);
    const std::size_t n = 6, p = net.num_params();
    const Matrix x = points(c.layers.front(), n, rng);
    // Mixed per-sample weights so both parts of α u + β Δu are exercised in one column.
    std::vector<double> alpha(n), beta(n);
    for (std::size_t j = 0; j < n; ++j) {
      alpha[j] = j % 3 == 0 ? 1.0 : (j % 3 == 1 ? 0.0 : -0.4);
      beta[j] = j % 3 == 1 ? 1.0 : (j % 3 == 0 ? 0.0 : 0.7);
    }
    Matrix jt;
    laplacian.jacobian_transposed(x, alpha.data(), beta.data(), jt);
    REQUIRE(jt.rows() == p);
    REQUIRE(jt.cols() == n);
    auto set = [&](const std::vector<double>& theta) { net.set_params(theta); };
    auto value = [&] {
      Matrix u, lap;
      laplacian.evaluate(x, u, lap);
      std::vector<double> out(n);
      for (std::size_t j = 0; j < n; ++j) out[j] = alpha[j] * u(0, j) + beta[j] * lap(0, j);
      return out;
    };
    std::vector<double> analytic, numeric;
    for (std::size_t q = 0; q < p; ++q) {
      const auto column = test::central_difference(net.params(), test::unit_vector(p, q), 1e-5, set, value);
      for (std::size_t j = 0; j < n; ++j) {
        numeric.push_back(column[j]);
        analytic.push_back(jt(q, j));
      }
    }
    const double error = report((std::string("∂(αu + βΔu)/∂θ vs FD in θ, ") + c.name).c_str(),
                                test::relative_difference(analytic, numeric));
    CHECK(error < 1e-6);

    // vjp = Jᵀ c with the same weights folded into c.
    const std::vector<double> cot = test::random_vector(n, rng);
    std::vector<double> wa(n), wb(n), grad, expected(p, 0.0);
    for (std::size_t j = 0; j < n; ++j) {
      wa[j] = cot[j] * alpha[j];
      wb[j] = cot[j] * beta[j];
    }
    laplacian.vjp(x, wa.data(), wb.data(), grad);
    for (std::size_t q = 0; q < p; ++q)
      for (std::size_t j = 0; j < n; ++j) expected[q] += jt(q, j) * cot[j];
    CHECK(test::relative_difference(grad, expected) < 1e-12);
  }
}

TEST_CASE("the Poisson residual is [Δu + f, u] and its Jacobian rows match finite differences", "[pde]") {
  task::PinnPoisson task(2, 3, 12, 8, 5, 4);
  const task::Dataset& data = task.train();
  REQUIRE(data.size() == 20);
  // Boundary samples lie on the edges, two per edge; interior ones strictly inside.
  for (std::size_t j = 12; j < 20; ++j) {
    const double x = data.x(0, j), y = data.x(1, j);
    CHECK((x == 0.0 || x == 1.0 || y == 0.0 || y == 1.0));
    CHECK(data.coefficients(0, j) == 1.0);
    CHECK(data.coefficients(1, j) == 0.0);
  }
  CHECK(task.source(0.3, 0.6) == Approx(13 * M_PI * M_PI * std::sin(0.6 * M_PI) * std::sin(1.8 * M_PI)));

  auto net = make_net({2, 10, 1}, model::Activation::tanh, true, 21);
  problem::LaplacianResidual residual(net);
  const problem::Samples samples{data.x, data.y, data.coefficients};
  Matrix e, u, lap, jt;
  residual.residual(samples, e);
  model::MlpLaplacian laplacian(net);
  laplacian.evaluate(data.x, u, lap);
  for (std::size_t j = 0; j < 12; ++j)
    CHECK(e(0, j) == Approx(lap(0, j) + task.source(data.x(0, j), data.x(1, j))).epsilon(1e-12));
  for (std::size_t j = 12; j < 20; ++j) CHECK(e(0, j) == Approx(u(0, j)).epsilon(1e-12));

  residual.jacobian_transposed(samples, jt);
  const std::size_t q = net.num_params() / 3;  // one parameter, every row
  const auto numeric = test::central_difference(
      net.params(), test::unit_vector(net.num_params(), q), 1e-5,
      [&](const std::vector<double>& theta) { net.set_params(theta); },
      [&] {
        Matrix out;
        residual.residual(samples, out);
        return out.storage();
      });
  std::vector<double> analytic;
  for (std::size_t j = 0; j < 20; ++j) analytic.push_back(jt(q, j));
  CHECK(report("Poisson residual Jacobian column vs FD", test::relative_difference(analytic, numeric)) < 1e-6);
}
