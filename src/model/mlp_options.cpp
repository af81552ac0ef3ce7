#include "pgdx/model/mlp_options.hpp"

#include <cmath>
#include <ostream>
#include <stdexcept>

namespace pgdx::model {

namespace {
const std::pair<Activation, const char*> kActivationNames[] = {
    {Activation::tanh, "tanh"}, {Activation::relu, "relu"}, {Activation::quadratic, "quadratic"},
    {Activation::identity, "identity"}, {Activation::polynomial, "polynomial"}, {Activation::gelu, "gelu"}};
const std::pair<ModelKind, const char*> kKindNames[] = {{ModelKind::mlp, "mlp"}, {ModelKind::committee, "committee"},
                                                        {ModelKind::transformer, "transformer"}};
const std::pair<Init, const char*> kInitNames[] = {
    {Init::kaiming_uniform, "kaiming_uniform"}, {Init::glorot_uniform, "glorot_uniform"},
    {Init::glorot_normal, "glorot_normal"},     {Init::he_uniform, "he_uniform"},
    {Init::he_normal, "he_normal"},             {Init::standard_normal, "standard_normal"},
    {Init::zeros, "zeros"}};
}  // namespace

std::string to_string(Activation a) {
  for (const auto& [value, name] : kActivationNames)
    if (value == a) return name;
  return "?";
}

std::string to_string(Init i) {
  for (const auto& [value, name] : kInitNames)
    if (value == i) return name;
  return "?";
}

std::optional<Activation> parse_activation(const std::string& name) {
  for (const auto& [value, text] : kActivationNames)
    if (name == text) return value;
  return std::nullopt;
}

std::optional<Init> parse_init(const std::string& name) {
  for (const auto& [value, text] : kInitNames)
    if (name == text) return value;
  return std::nullopt;
}

std::string to_string(ModelKind k) {
  for (const auto& [value, name] : kKindNames)
    if (value == k) return name;
  return "?";
}

std::optional<ModelKind> parse_model_kind(const std::string& name) {
  for (const auto& [value, text] : kKindNames)
    if (name == text) return value;
  return std::nullopt;
}

void MlpOptions::validate() const {
  if (kind == ModelKind::transformer) {
    transformer.validate();
    if (activation != Activation::gelu && activation != Activation::relu)
      throw std::invalid_argument("model.activation: a transformer uses gelu or relu");
    // Both would silently change PyTorch's initialisation or the logits the experiments compare.
    if (init_scale != 1.0) throw std::invalid_argument("model.init_scale: a transformer has PyTorch's initialisation (1)");
    if (output_scale != 1.0) throw std::invalid_argument("model.output_scale: a transformer has none (1)");
    return;
  }
  if (activation == Activation::gelu)
    throw std::invalid_argument("model.activation: gelu is implemented only for model.kind = \"transformer\"");
  if (layers.size() < 2) throw std::invalid_argument("model.layers: needs at least an input and an output width");
  for (std::size_t w : layers)
    if (w == 0) throw std::invalid_argument("model.layers: every width must be >= 1");
  if (!(std::isfinite(init_scale) && init_scale > 0))
    throw std::invalid_argument("model.init_scale: must be a finite number > 0");
  if (!(std::isfinite(output_scale) && output_scale != 0))
    throw std::invalid_argument("model.output_scale: must be a finite non-zero number");
  if (!std::isfinite(activation_epsilon)) throw std::invalid_argument("model.activation_epsilon: must be finite");
  if (kind == ModelKind::committee) {
    if (layers.size() != 3 || layers.back() != 1)
      throw std::invalid_argument("model.layers: a committee is [D, H, 1] (one hidden layer, one output)");
    if (bias) throw std::invalid_argument("model.bias: a committee has no biases (set model.bias = false)");
    if (activation == Activation::relu)
      throw std::invalid_argument("model.activation: a committee needs a smooth activation (polynomial, "
                                  "quadratic, tanh or identity)");
  }
}

std::ostream& operator<<(std::ostream& os, const MlpOptions& o) {
  if (o.kind == ModelKind::transformer) {
    const TransformerOptions& t = o.transformer;
    return os << "Transformer(vocab " << t.vocab << ", context " << t.context << ", d " << t.width << ", heads "
              << t.heads << ", blocks " << t.blocks << ", mlp " << t.mlp_width << ", " << to_string(o.activation)
              << (t.bias ? "" : ", no bias") << (t.final_norm ? "" : ", no final norm") << ")";
  }
  if (o.kind == ModelKind::committee) {
    os << "Committee(" << o.layers[0] << "-" << o.layers[1] << "-1, " << to_string(o.activation);
    if (o.activation == Activation::polynomial) os << " eps " << o.activation_epsilon;
    return os << ", init " << to_string(o.init) << ", alpha " << o.output_scale
              << (o.centered ? ", centered" : "") << ")";
  }
  os << "Mlp(";
  for (std::size_t i = 0; i < o.layers.size(); ++i) os << (i ? "-" : "") << o.layers[i];
  os << ", " << to_string(o.activation);
  if (o.activation == Activation::polynomial) os << " eps " << o.activation_epsilon;
  os << ", init " << to_string(o.init) << ", bias "
     << (o.bias ? to_string(o.bias_init) : std::string("none")) << ", alpha " << o.init_scale << ", s "
     << o.output_scale << ")";
  return os;
}

}  // namespace pgdx::model
