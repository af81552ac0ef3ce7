#pragma once
// Options of the multilayer perceptron: plain struct, defaults here, validated once.
#include <cstddef>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "pgdx/model/transformer_options.hpp"

namespace pgdx::model {

// polynomial: φ(z) = z + (ε/2) z², ε = activation_epsilon (the committee model of Fig. 6).
// gelu: exact-erf GELU, z Φ(z); only the transformer implements it.
enum class Activation { tanh, relu, quadratic, identity, polynomial, gelu };
// mlp: the dense network below. committee: f(x) = s · (1/H) Σ_i φ(w_i·x/√D), only W trained
// (model/committee.hpp). transformer: decoder-only, options in `transformer` (model/transformer.hpp);
// of the fields below it uses only `activation` (gelu or relu).
enum class ModelKind { mlp, committee, transformer };
// Weight initialisations named by the paper (EXPERIMENTS.md §0.5).
enum class Init { kaiming_uniform, glorot_uniform, glorot_normal, he_uniform, he_normal, standard_normal, zeros };

std::string to_string(Activation a);
std::string to_string(Init i);
std::optional<Activation> parse_activation(const std::string& name);
std::optional<Init> parse_init(const std::string& name);
std::string to_string(ModelKind k);
std::optional<ModelKind> parse_model_kind(const std::string& name);

struct MlpOptions {
  ModelKind kind = ModelKind::mlp;
  std::vector<std::size_t> layers = {1, 80, 1};  // widths d_0 … d_L: L affine maps (§0.4)
  Activation activation = Activation::tanh;      // on every hidden layer; the output is affine
  Init init = Init::kaiming_uniform;             // weights
  Init bias_init = Init::zeros;                  // biases (fan_in of the layer where it matters)
  bool bias = true;                              // false: bias-free model, θ holds only the W's
  double init_scale = 1.0;                       // α: multiplies every initial parameter (Omnigrok)
  double output_scale = 1.0;                     // s: f = s · (last affine map)
  double activation_epsilon = 0.25;              // ε of the polynomial activation
  bool centered = true;                          // committee: f(x; W) − f(x; W₀) (the model at init removed)
  TransformerOptions transformer;                // kind = transformer only

  // Throws std::invalid_argument naming the field; io/ turns it into a ConfigError.
  void validate() const;
};

std::ostream& operator<<(std::ostream& os, const MlpOptions& o);

}  // namespace pgdx::model
