#pragma once
// Small classification problems for the cross-entropy and GGN tests: random inputs with random
// one-hot targets, and a tanh network with a spread-out initialisation (biases and γ not zero).
#include <cstddef>
#include <cstdint>

#include "pgdx/model/mlp.hpp"
#include "pgdx/task/dataset.hpp"
#include "test_support.hpp"

namespace pgdx::test {

inline task::Dataset classification_data(std::size_t n, std::size_t inputs, std::size_t classes, Rng& rng) {
  task::Dataset d;
  d.x = random_matrix(inputs, n, rng);
  d.y.resize(classes, n);
  for (std::size_t j = 0; j < n; ++j) d.y(rng.below(classes), j) = 1.0;
  return d;
}

inline model::Mlp classification_net(std::uint64_t seed, std::size_t inputs, std::size_t hidden, std::size_t classes,
                                     model::Activation activation = model::Activation::tanh, double init_scale = 1.5) {
  model::MlpOptions o;
  o.layers = {inputs, hidden, classes};
  o.activation = activation;
  o.init = model::Init::glorot_normal;
  o.bias_init = model::Init::standard_normal;
  o.init_scale = init_scale;
  return model::Mlp(o, seed);
}

}  // namespace pgdx::test
