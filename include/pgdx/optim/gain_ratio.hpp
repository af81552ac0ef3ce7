#pragma once
// The gain ratio LM and GN record (and adaptive damping decides on):
//   ρ = (½‖e(θ)‖² − ½‖e(θ − ηδ)‖²) / (η eᵀKz − ½η²‖Kz‖²),
// the actual decrease of the sum-scale loss over the one the linear model predicts (Jδ = Kz).
#include <vector>

namespace pgdx::optim {

// ½‖e‖²: the sum-scale loss that ρ compares.
double half_squared_norm(const std::vector<double>& e);
// Predicted decrease of ½‖e‖² for the step −η·δ with J δ = k_z.
double predicted_reduction(const std::vector<double>& e, const std::vector<double>& k_z, double lr);

}  // namespace pgdx::optim
