// The modular-addition task of Fig. 5 and the residual scale γ (e = γ(f − y)) its loss uses.
#include <catch2/catch.hpp>

#include <set>

#include "pgdx/problem/output_minus_target.hpp"
#include "pgdx/model/mlp.hpp"
#include "pgdx/task/modular_addition.hpp"
#include "pgdx/task/modular_addition_sequence.hpp"
#include "test_support.hpp"

using namespace pgdx;
using linalg::Matrix;

TEST_CASE("modular addition: every pair once, one-hot inputs, (a + b) mod P targets, seeded split", "[modular]") {
  task::ModularAddition task(23, 0.9, 0);
  REQUIRE(task.train().size() == 476);
  REQUIRE(task.test()->size() == 53);
  std::set<std::pair<std::size_t, std::size_t>> seen;
  for (const task::Dataset* set : {&task.train(), task.test()}) {
    for (std::size_t j = 0; j < set->size(); ++j) {
      std::size_t a = 99, b = 99, ones = 0, c = 99;
      for (std::size_t k = 0; k < 46; ++k)
        if (set->x(k, j) == 1.0) {
          ++ones;
          (k < 23 ? a : b) = k % 23;
        }
      for (std::size_t k = 0; k < 23; ++k)
        if (set->y(k, j) == 1.0) c = k;
      CHECK(ones == 2);
      CHECK(c == (a + b) % 23);
      seen.insert({a, b});
    }
  }
  CHECK(seen.size() == 529);
  task::ModularAddition same(23, 0.9, 0), other(23, 0.9, 1);
  CHECK(same.train().x.storage() == task.train().x.storage());
  CHECK(other.train().x.storage() != task.train().x.storage());
}

TEST_CASE("a residual scale multiplies e, J, K and JᵀJ consistently", "[modular]") {
  model::MlpOptions o;
  o.layers = {6, 5, 3};
  o.activation = model::Activation::quadratic;
  o.init = model::Init::standard_normal;
  o.bias = false;
  o.output_scale = 4.0 / 30.0;  // s²/(D·H) with s = 2, as Fig. 5 writes it
  model::Mlp net(o, 3);
  Rng rng(4, Stream::test);
  const Matrix x = test::random_matrix(6, 7, rng), y = test::random_matrix(3, 7, rng), none;
  const problem::Samples samples{x, y, none};
  problem::OutputMinusTarget plain(net), scaled(net, 0.5);
  Matrix e1, e2, jt1, jt2, g1, g2;
  plain.residual(samples, e1);
  scaled.residual(samples, e2);
  for (std::size_t i = 0; i < e1.size(); ++i) CHECK(e2.data()[i] == Approx(0.5 * e1.data()[i]).epsilon(1e-15));
  plain.jacobian_transposed(samples, jt1);
  scaled.jacobian_transposed(samples, jt2);
  for (std::size_t i = 0; i < jt1.size(); ++i) CHECK(jt2.data()[i] == Approx(0.5 * jt1.data()[i]).epsilon(1e-15));
  REQUIRE(scaled.parameter_gram(samples, g2));
  REQUIRE(plain.parameter_gram(samples, g1));
  for (std::size_t i = 0; i < g1.size(); ++i) CHECK(g2.data()[i] == Approx(0.25 * g1.data()[i]).margin(1e-15));
  // K from the scaled factors equals γ² K from the scaled Jacobian rows.
  model::GramFactors factors;
  REQUIRE(scaled.gram_factors(samples, factors));
  const std::vector<double> z = test::random_vector(21, rng);
  std::vector<double> from_factors, from_rows(jt2.rows(), 0.0);
  model::gradient_from_factors(factors, 3, z.data(), from_factors);
  linalg::gemv(linalg::Op::none, 1.0, jt2, z.data(), 0.0, from_rows.data());
  CHECK(test::relative_difference(from_factors, from_rows) < 1e-13);
}

TEST_CASE("modular addition as token sequences: [a, +, b, =], every pair once, the mlp task's split", "[modular]") {
  const task::ModularAdditionSequence sequences(97, 0.5, 3);
  const task::ModularAddition vectors(97, 0.5, 3);
  REQUIRE(sequences.train().size() == 4704);
  REQUIRE(sequences.test()->size() == 9409 - 4704);
  std::set<std::pair<std::size_t, std::size_t>> seen;
  for (const auto& [set, same] : {std::pair{&sequences.train(), &vectors.train()}, {sequences.test(), vectors.test()}}) {
    REQUIRE(set->x.rows() == 4);
    REQUIRE(set->y.rows() == 99);
    for (std::size_t j = 0; j < set->size(); ++j) {
      const auto a = static_cast<std::size_t>(set->x(0, j)), b = static_cast<std::size_t>(set->x(2, j));
      CHECK(set->x(1, j) == 98.0);  // '+'
      CHECK(set->x(3, j) == 97.0);  // '='
      double total = 0.0;
      for (std::size_t c = 0; c < 99; ++c) total += set->y(c, j);
      CHECK(total == 1.0);
      CHECK(set->y((a + b) % 97, j) == 1.0);
      // The same pair sits at the same place as in the one-hot task (one shuffle for both).
      CHECK(same->x(a, j) == 1.0);
      CHECK(same->x(97 + b, j) == 1.0);
      seen.insert({a, b});
    }
  }
  CHECK(seen.size() == 9409);
}
