#pragma once
// The matrix-free generalised Gauss–Newton step (optimizer.name = "ggn", optimizer.solver = "cg";
// paper Appendix B.3.1): solve (μI + G) h = g by conjugate gradients, G = Jᵀ H J the GGN of the
// loss as reduced (H the output loss's Hessian, applied as a product — for softmax cross-entropy
// H w = p ⊙ w − p (pᵀw) per sample — never formed), one jvp, one H product and one vjp per
// iteration; then θ ← θ − η h with η from Armijo backtracking on the same minibatch. μ follows
// the damping schedule (log-linear 1 → 0.1 over 200 steps in the paper's runs).
#include <vector>

#include "pgdx/optim/damping_schedule.hpp"
#include "pgdx/optim/optimizer.hpp"
#include "pgdx/optim/optimizer_options.hpp"

namespace pgdx::optim {

// Why CG stopped (the /history column cg_stop).
enum class CgStop { converged = 0, max_iterations = 1, nonpositive_curvature = 2 };

struct CgResult {
  int iterations = 0;
  double relative_residual = 0.0;  // ‖r‖ / ‖b‖ at the end
  CgStop stop = CgStop::converged;
  double curvature = 0.0;  // hᵀ(A)h = hᵀ(b − r): the damped model's curvature along h
};

// Solves A h = b from h = 0, A given as a product; stops at ‖r‖ ≤ tolerance·‖b‖, after
// max_iterations, or at a direction of non-positive curvature (h is then the iterate before it).
// Every inner product is over the whole p-vector in index order: identical on every rank.
template <class Product>
CgResult conjugate_gradient(Product&& apply, const std::vector<double>& b, double tolerance, long max_iterations,
                            std::vector<double>& h);

class GgnConjugateGradient final : public Optimizer {
 public:
  explicit GgnConjugateGradient(const OptimizerOptions& options);
  StepInfo step(LeastSquaresProblem& problem) override;
  std::string name() const override { return "ggn"; }
  OptimizerState state() const override { return {{"damping", damping_.state()}}; }
  void set_state(const OptimizerState& state) override { damping_.set_state(state_array(state, "damping")); }

 private:
  OptimizerOptions options_;
  DampingSchedule damping_;
  std::vector<double> e_, g_, h_, theta_, trial_, gv_;
};

}  // namespace pgdx::optim

#include "pgdx/optim/conjugate_gradient_impl.hpp"
