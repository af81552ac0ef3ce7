#pragma once
// Laziness diagnostics on θ (EXPERIMENTS.md §0.8 and §T).
#include <vector>

namespace pgdx::diag {

double weight_norm(const std::vector<double>& theta);  // ‖θ‖₂ over all parameters
// ‖θ − θ₀‖₂ / ‖θ₀‖₂ (absolute distance if θ₀ = 0).
double relative_distance(const std::vector<double>& theta, const std::vector<double>& theta0);

}  // namespace pgdx::diag
