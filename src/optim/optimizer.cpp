#include "pgdx/optim/optimizer.hpp"

#include <stdexcept>

namespace pgdx::optim {

const std::vector<double>& state_array(const OptimizerState& state, const std::string& name) {
  for (const auto& [key, values] : state)
    if (key == name) return values;
  throw std::invalid_argument("optimizer state has no '" + name + "'");
}

}  // namespace pgdx::optim
