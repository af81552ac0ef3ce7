// Mlp: vjp, jvp and explicit Jacobian against central finite differences for every activation,
// depths 1–3, with and without biases; the θ layout; the initialisations.
#include <catch2/catch.hpp>

#include <cmath>

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

// ReLU has kinks; keep pre-activations away from 0 so central differences are valid.
Matrix inputs(std::size_t d, std::size_t n, Rng& rng) {
  Matrix x = test::random_matrix(d, n, rng);
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
    const Matrix x = inputs(c.layers.front(), 6, rng);
    const auto v = test::random_vector(m.num_params(), rng);
    Matrix jv;
    m.jvp(x, v, jv);
    const auto fd = fd_directional(m, x, v, 1e-6);
    const double err = test::relative_difference(jv.storage(), fd);
    worst = std::max(worst, err);
    INFO("activation " << model::to_string(c.activation) << ", depth " << c.layers.size() - 1 << ", bias " << c.bias);
    CHECK(err < 1e-6);
  }
  WARN("jvp vs central differences: max relative error " << worst);
}

TEST_CASE("mlp vjp is the adjoint of jvp and matches finite differences of <r, f>", "[model][fd]") {
  Rng rng(12, 0);
  for (const Case& c : all_cases()) {
    auto m = make_mlp(c, 6);
    const Matrix x = inputs(c.layers.front(), 5, rng);
    Matrix r = test::random_matrix(c.layers.back(), 5, rng);
    std::vector<double> g;
    m.vjp(x, r, g);
    const auto v = test::random_vector(m.num_params(), rng);
    // <Jᵀr, v> = <r, Jv>, and Jv by finite differences: checks vjp without trusting jvp.
    const auto fd = fd_directional(m, x, v, 1e-6);
    const double lhs = linalg::dot(g.size(), g.data(), v.data());
    const double rhs = linalg::dot(fd.size(), r.data(), fd.data());
    INFO("activation " << model::to_string(c.activation) << ", depth " << c.layers.size() - 1 << ", bias " << c.bias);
    CHECK(std::abs(lhs - rhs) <= 1e-6 * std::max(1.0, std::abs(rhs)));
  }
}

TEST_CASE("mlp explicit Jacobian rows match jvp and vjp exactly", "[model]") {
  Rng rng(13, 0);
  for (const Case& c : all_cases()) {
    auto m = make_mlp(c, 7);
    const std::size_t n = 4;
    const Matrix x = inputs(c.layers.front(), n, rng);
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
    const Matrix x = inputs(c.layers.front(), 9, rng);
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
    const Matrix x = inputs(c.layers.front(), 11, rng);
    Matrix g, jt, expected(m.num_params(), m.num_params());
    REQUIRE(m.parameter_gram(x, g));
    m.jacobian_transposed(x, jt);
    linalg::gemm(linalg::Op::none, linalg::Op::transpose, 1.0, jt, jt, 0.0, expected);  // Jᵀ J
    CHECK(test::relative_difference(g.storage(), expected.storage()) < 1e-13);
  }
  model::Mlp deep = make_mlp(Case{model::Activation::tanh, {3, 4, 4, 2}, true}, 9);
  Matrix g;
  CHECK_FALSE(deep.parameter_gram(inputs(3, 5, rng), g));  // only one hidden layer has this structure
}
