#include "pgdx/loss/mse.hpp"

namespace pgdx::loss {

std::string to_string(Reduction r) { return r == Reduction::sum ? "sum" : "mean"; }

std::optional<Reduction> parse_reduction(const std::string& name) {
  if (name == "sum") return Reduction::sum;
  if (name == "mean") return Reduction::mean;
  return std::nullopt;
}

}  // namespace pgdx::loss
