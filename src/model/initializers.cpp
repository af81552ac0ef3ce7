#include "pgdx/model/initializers.hpp"

#include <cmath>

namespace pgdx::model {

double initial_value(Init init, std::size_t fan_in, std::size_t fan_out, Rng& rng) {
  const double in = static_cast<double>(fan_in);
  const double sum = static_cast<double>(fan_in + fan_out);
  switch (init) {
    case Init::kaiming_uniform: {  // PyTorch nn.Linear default (kaiming_uniform with a = √5)
      const double bound = 1.0 / std::sqrt(in);
      return rng.uniform(-bound, bound);
    }
    case Init::glorot_uniform: {
      const double bound = std::sqrt(6.0 / sum);
      return rng.uniform(-bound, bound);
    }
    case Init::glorot_normal: return rng.normal() * std::sqrt(2.0 / sum);
    case Init::he_uniform: {
      const double bound = std::sqrt(6.0 / in);
      return rng.uniform(-bound, bound);
    }
    case Init::he_normal: return rng.normal() * std::sqrt(2.0 / in);
    case Init::standard_normal: return rng.normal();
    case Init::zeros: return 0.0;
  }
  return 0.0;
}

}  // namespace pgdx::model
