#include "pgdx/model/mlp_options.hpp"

#include <cmath>
#include <ostream>
#include <stdexcept>

namespace pgdx::model {

namespace {
const std::pair<Activation, const char*> kActivationNames[] = {
    {Activation::tanh, "tanh"}, {Activation::relu, "relu"}, {Activation::quadratic, "quadratic"},
    {Activation::identity, "identity"}};
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

void MlpOptions::validate() const {
  if (layers.size() < 2) throw std::invalid_argument("model.layers: needs at least an input and an output width");
  for (std::size_t w : layers)
    if (w == 0) throw std::invalid_argument("model.layers: every width must be >= 1");
  if (!(std::isfinite(init_scale) && init_scale > 0))
    throw std::invalid_argument("model.init_scale: must be a finite number > 0");
  if (!(std::isfinite(output_scale) && output_scale != 0))
    throw std::invalid_argument("model.output_scale: must be a finite non-zero number");
}

std::ostream& operator<<(std::ostream& os, const MlpOptions& o) {
  os << "Mlp(";
  for (std::size_t i = 0; i < o.layers.size(); ++i) os << (i ? "-" : "") << o.layers[i];
  os << ", " << to_string(o.activation) << ", init " << to_string(o.init) << ", bias "
     << (o.bias ? to_string(o.bias_init) : std::string("none")) << ", alpha " << o.init_scale << ", s "
     << o.output_scale << ")";
  return os;
}

}  // namespace pgdx::model
