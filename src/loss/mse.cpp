#include "pgdx/loss/mse.hpp"

namespace pgdx::loss {

std::string to_string(Reduction r) {
  switch (r) {
    case Reduction::sum: return "sum";
    case Reduction::mean: return "mean";
    case Reduction::elementwise_mean: return "elementwise_mean";
  }
  return "sum";
}

std::optional<Reduction> parse_reduction(const std::string& name) {
  if (name == "sum") return Reduction::sum;
  if (name == "mean") return Reduction::mean;
  if (name == "elementwise_mean") return Reduction::elementwise_mean;
  return std::nullopt;
}

}  // namespace pgdx::loss
