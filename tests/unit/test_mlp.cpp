// Mlp: vjp, jvp and explicit Jacobian against central finite differences for every activation,
// depths 1–3, with and without biases; the θ layout; the initialisations.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

#include "pgdx/model/mlp.hpp"
#include "test_support.hpp"

using namespace pgdx;
using linalg::Matrix;

namespace {

struct Case {
  model::Activation activation;
  std::vector<std::size_t> layers;
  bool bias;
};

model::Mlp make_mlp(const Case& c, std::uint64_t seed) {
  model::MlpOptions o;
  o.layers = c.layers;
  o.activation = c.activation;
  o.init = model::Init::glorot_normal;
  o.bias_init = model::Init::standard_normal;
  o.bias = c.bias;
  o.init_scale = 1.3;
  o.output_scale = 0.7;
  return model::Mlp(o, seed);
}

// Central differences are valid for ReLU only if no pre-activation crosses 0 between θ − hv and
// θ + hv. A step moves z by about h·|∂z/∂θ · v|, at most a few tens of h for these nets and a
// normal v, so a margin of 1000 h keeps every unit on its side of the kink.
constexpr double kFdStep = 1e-6;
constexpr double kKinkMargin = 1e-3;

// Smallest |z| over the hidden pre-activations of column j of x (+inf for smooth activations),
// computed from θ and its documented layout rather than by the forward pass under test.
double kink_distance(const model::Mlp& m, const Matrix& x, std::size_t j) {
  if (m.options().activation != model::Activation::relu) return std::numeric_limits<double>::infinity();
  const auto& t = m.params();
  const auto& d = m.options().layers;
  std::vector<double> a(x.col(j), x.col(j) + x.rows()), z;
  double smallest = std::numeric_limits<double>::infinity();
  for (std::size_t l = 0; l + 1 < m.num_layers(); ++l) {
    z.assign(d[l + 1], 0.0);
    for (std::size_t i = 0; i < d[l + 1]; ++i) {
      z[i] = m.options().bias ? t[m.bias_offset(l) + i] : 0.0;
      for (std::size_t k = 0; k < d[l]; ++k) z[i] += t[m.weight_offset(l) + i * d[l] + k] * a[k];
      smallest = std::min(smallest, std::abs(z[i]));
    }
    a.resize(z.size());
    for (std::size_t i = 0; i < z.size(); ++i) a[i] = std::max(z[i], 0.0);
  }
  return smallest;
}

double kink_distance(const model::Mlp& m, const Matrix& x) {
  double smallest = std::numeric_limits<double>::infinity();
  for (std::size_t j = 0; j < x.cols(); ++j) smallest = std::min(smallest, kink_distance(m, x, j));
  return smallest;
}

// Normal inputs for m; a column closer than kKinkMargin to a kink is redrawn, so the margin holds
// for any seed instead of by luck of the current ones.
Matrix inputs(const model::Mlp& m, std::size_t n, Rng& rng) {
  Matrix x = test::random_matrix(m.input_dim(), n, rng);
  for (std::size_t j = 0; j < n; ++j)
    for (int draws = 1; kink_distance(m, x, j) <= kKinkMargin; ++draws) {
      REQUIRE(draws < 1000);  // a unit at 0 for every input (its whole input layer dead) is no draw away
      for (std::size_t i = 0; i < x.rows(); ++i) x(i, j) = rng.normal();
    }
  return x;
}

// Central difference of F along direction v: (F(θ + hv) − F(θ − hv)) / 2h.
std::vector<double> fd_directional(model::Mlp& m, const Matrix& x, const std::vector<double>& v, double h) {
  return test::central_difference(
      m.params(), v, h, [&](const std::vector<double>& t) { m.set_params(t); },
      [&] {
        Matrix f;
        m.forward(x, f);
        return f.storage();
      });
}

std::vector<Case> all_cases() {
  std::vector<Case> cases;
  for (auto act : {model::Activation::tanh, model::Activation::relu, model::Activation::quadratic,
                   model::Activation::polynomial})
    for (const auto& layers : {std::vector<std::size_t>{3, 2}, std::vector<std::size_t>{3, 7, 2},
                               std::vector<std::size_t>{4, 6, 5, 3}, std::vector<std::size_t>{2, 5, 5, 5, 1}})
      for (bool bias : {true, false}) cases.push_back({act, layers, bias});
  return cases;
}

}  // namespace

TEST_CASE("mlp jvp matches central differences for every activation and depth", "[model][fd]") {
  Rng rng(11, 0);
  double worst = 0.0;
  for (const Case& c : all_cases()) {
    auto m = make_mlp(c, 5);
    const Matrix x = inputs(m, 6, rng);
    INFO("activation " << model::to_string(c.activation) << ", depth " << c.layers.size() - 1 << ", bias " << c.bias);
    REQUIRE(kink_distance(m, x) > kKinkMargin);
    const auto v = test::random_vector(m.num_params(), rng);
    Matrix jv;
    m.jvp(x, v, jv);
    const auto fd = fd_directional(m, x, v, kFdStep);
    const double err = test::relative_difference(jv.storage(), fd);
    worst = std::max(worst, err);
    CHECK(err < 1e-6);
  }
  WARN("jvp vs central differences: max relative error " << worst);
}

TEST_CASE("mlp vjp is the adjoint of jvp and matches finite differences of <r, f>", "[model][fd]") {
  Rng rng(12, 0);
  for (const Case& c : all_cases()) {
    auto m = make_mlp(c, 6);
    const Matrix x = inputs(m, 5, rng);
    INFO("activation " << model::to_string(c.activation) << ", depth " << c.layers.size() - 1 << ", bias " << c.bias);
    REQUIRE(kink_distance(m, x) > kKinkMargin);
    Matrix r = test::random_matrix(c.layers.back(), 5, rng);
    std::vector<double> g;
    m.vjp(x, r, g);
    const auto v = test::random_vector(m.num_params(), rng);
    // <Jᵀr, v> = <r, Jv>, and Jv by finite differences: checks vjp without trusting jvp.
    const auto fd = fd_directional(m, x, v, kFdStep);
    const double lhs = linalg::dot(g.size(), g.data(), v.data());
    const double rhs = linalg::dot(fd.size(), r.data(), fd.data());
    CHECK(std::abs(lhs - rhs) <= 1e-6 * std::max(1.0, std::abs(rhs)));
  }
}

TEST_CASE("mlp explicit Jacobian rows match jvp and vjp exactly", "[model]") {
  Rng rng(13, 0);
  for (const Case& c : all_cases()) {
    auto m = make_mlp(c, 7);
    const std::size_t n = 4;
    const Matrix x = inputs(m, n, rng);
    Matrix jt;
    m.jacobian_transposed(x, jt);
    REQUIRE(jt.rows() == m.num_params());
    REQUIRE(jt.cols() == n * c.layers.back());
    const auto v = test::random_vector(m.num_params(), rng);
    Matrix jv;
    m.jvp(x, v, jv);
    std::vector<double> jv_explicit(jt.cols());
    linalg::gemv(linalg::Op::transpose, 1.0, jt, v.data(), 0.0, jv_explicit.data());
    CHECK(test::relative_difference(jv_explicit, jv.storage()) < 1e-12);
    Matrix r = test::random_matrix(c.layers.back(), n, rng);
    std::vector<double> g;
    m.vjp(x, r, g);
    std::vector<double> g_explicit(jt.rows());
    linalg::gemv(linalg::Op::none, 1.0, jt, r.data(), 0.0, g_explicit.data());
    CHECK(test::relative_difference(g_explicit, g) < 1e-12);
  }
}

TEST_CASE("mlp parameter layout is W (out x in, row-major) then b, layer by layer", "[model][layout]") {
  model::MlpOptions o;
  o.layers = {2, 3, 1};
  o.activation = model::Activation::tanh;
  model::Mlp m(o, 1);
  REQUIRE(m.num_params() == 2 * 3 + 3 + 3 + 1);
  const auto& t = m.params();
  Matrix x(2, 1);
  x(0, 0) = 0.3;
  x(1, 0) = -0.8;
  double out = t[12];  // b2
  for (int j = 0; j < 3; ++j) {
    const double z = t[static_cast<std::size_t>(j * 2)] * 0.3 + t[static_cast<std::size_t>(j * 2 + 1)] * -0.8 +
                     t[static_cast<std::size_t>(6 + j)];
    out += t[static_cast<std::size_t>(9 + j)] * std::tanh(z);
  }
  Matrix f;
  m.forward(x, f);
  CHECK(f(0, 0) == Approx(out).epsilon(1e-14));
}

TEST_CASE("mlp initialisations have the documented bounds and scale", "[model][init]") {
  model::MlpOptions o;
  o.layers = {50, 200, 10};
  o.bias_init = model::Init::zeros;
  SECTION("kaiming_uniform: |W| <= 1/sqrt(fan_in), zero biases") {
    o.init = model::Init::kaiming_uniform;
    model::Mlp m(o, 3);
    const auto& t = m.params();
    double wmax = 0.0;
    for (std::size_t k = 0; k < 50 * 200; ++k) wmax = std::max(wmax, std::abs(t[k]));
    CHECK(wmax <= 1.0 / std::sqrt(50.0));
    CHECK(wmax > 0.95 / std::sqrt(50.0));
    for (std::size_t k = 0; k < 200; ++k) CHECK(t[m.bias_offset(0) + k] == 0.0);
  }
  SECTION("glorot_uniform bound and init_scale multiply every parameter") {
    o.init = model::Init::glorot_uniform;
    o.bias_init = model::Init::standard_normal;
    model::Mlp base(o, 3);
    o.init_scale = 8.0;
    model::Mlp scaled(o, 3);
    const double bound = std::sqrt(6.0 / 250.0);
    for (std::size_t k = 0; k < 50 * 200; ++k) CHECK(std::abs(base.params()[k]) <= bound);
    for (std::size_t k = 0; k < base.num_params(); ++k) CHECK(scaled.params()[k] == 8.0 * base.params()[k]);
  }
  SECTION("standard_normal has unit variance") {
    o.init = model::Init::standard_normal;
    model::Mlp m(o, 4);
    double s2 = 0.0;
    for (std::size_t k = 0; k < 50 * 200; ++k) s2 += m.params()[k] * m.params()[k];
    CHECK(s2 / 10000.0 == Approx(1.0).epsilon(0.05));
  }
  SECTION("same seed, same parameters; another seed, other parameters") {
    model::Mlp a(o, 9), b(o, 9), c(o, 10);
    CHECK(a.params() == b.params());
    CHECK(a.params() != c.params());
  }
}

TEST_CASE("J^T z from the Gram factors equals the model's vjp", "[model]") {
  Rng rng(12, Stream::test);
  for (const Case& c : {Case{model::Activation::tanh, {3, 6, 4}, true}, Case{model::Activation::relu, {5, 7, 3, 2}, true},
                        Case{model::Activation::quadratic, {4, 5, 3}, false}}) {
    model::Mlp m = make_mlp(c, 8);
    const Matrix x = inputs(m, 9, rng);
    const std::size_t outputs = c.layers.back();
    Matrix z = test::random_matrix(outputs, 9, rng);
    model::GramFactors factors;
    REQUIRE(m.gram_factors(x, factors));
    std::vector<double> from_factors, from_vjp;
    model::gradient_from_factors(factors, outputs, z.data(), from_factors);
    m.vjp(x, z, from_vjp);
    REQUIRE(from_factors.size() == m.num_params());
    CHECK(test::relative_difference(from_factors, from_vjp) < 1e-13);
  }
}

TEST_CASE("parameter-space Gram J^T J of a one-hidden-layer MLP equals the explicit product", "[model]") {
  Rng rng(14, Stream::test);
  for (const Case& c : {Case{model::Activation::quadratic, {5, 7, 3}, false}, Case{model::Activation::tanh, {4, 6, 3}, true},
                        Case{model::Activation::relu, {3, 5, 1}, true}}) {
    model::Mlp m = make_mlp(c, 9);
    const Matrix x = inputs(m, 11, rng);
    Matrix g, jt, expected(m.num_params(), m.num_params());
    REQUIRE(m.parameter_gram(x, g));
    m.jacobian_transposed(x, jt);
    linalg::gemm(linalg::Op::none, linalg::Op::transpose, 1.0, jt, jt, 0.0, expected);  // Jᵀ J
    CHECK(test::relative_difference(g.storage(), expected.storage()) < 1e-13);
  }
  model::Mlp deep = make_mlp(Case{model::Activation::tanh, {3, 4, 4, 2}, true}, 9);
  Matrix g;
  CHECK_FALSE(deep.parameter_gram(inputs(deep, 5, rng), g));  // only one hidden layer has this structure
}

TEST_CASE("mlp forward cache: any order of inputs gives a fresh evaluation's values", "[model][cache]") {
  // The model keeps the forward passes of its last few inputs; more inputs than slots, revisited
  // in a mixed order, must give what a model with no cache gives, also through vjp (which reads
  // the cached activations), after θ changes, and after an input changes in place.
  Rng rng(29, 0);
  const Case c{model::Activation::tanh, {2, 6, 5, 2}, true};
  model::Mlp cached = make_mlp(c, 3), uncached = make_mlp(c, 3);
  std::vector<Matrix> xs;
  for (std::size_t i = 0; i < 6; ++i) xs.push_back(inputs(cached, 3 + i, rng));
  const auto check = [&](std::size_t i) {
    Matrix f, f_fresh;
    cached.forward(xs[i], f);
    uncached.forget_cached_forward();
    uncached.forward(xs[i], f_fresh);
    CHECK(f.storage() == f_fresh.storage());
    const Matrix r = test::random_matrix(2, xs[i].cols(), rng);
    std::vector<double> g, g_fresh;
    cached.vjp(xs[i], r, g);
    uncached.forget_cached_forward();
    uncached.vjp(xs[i], r, g_fresh);
    CHECK(g == g_fresh);
  };
  for (std::size_t i : {0, 1, 0, 2, 3, 1, 4, 5, 0, 3, 3, 2, 5, 1}) check(i);
  auto theta = cached.params();
  for (double& t : theta) t *= 0.9;
  cached.set_params(theta);
  uncached.set_params(theta);
  for (std::size_t i : {1, 0, 5, 1}) check(i);
  xs[1].data()[0] += 0.5;
  cached.forget_cached_forward();
  for (std::size_t i : {1, 0, 1}) check(i);
}
