#pragma once
// How μ evolves over LM steps (EXPERIMENTS.md §0.7): constant; log-linear
//   μ(i) = exp(ln μ0 + (i/k)(ln μ1 − ln μ0)) for i < k, μ1 after;
// or adaptive (Nielsen 1999): μ ← μ·max(1/3, 1 − (2ρ − 1)³) on accepted steps, μ ← μ·ν, ν ← 2ν
// on rejected ones. μ here is on the user's scale (optimizer.mu_scale).
#include <vector>

#include "pgdx/optim/optimizer_options.hpp"

namespace pgdx::optim {

class DampingSchedule {
 public:
  explicit DampingSchedule(const OptimizerOptions& options);

  double mu() const { return mu_; }
  long position() const { return position_; }  // preconditioned steps taken so far
  // μ for step i of the log-linear schedule (the formula above; exposed for tests).
  static double loglinear(double mu0, double mu1, long k, long i);

  void accepted(double rho);  // a step was taken; moves the schedule on
  void rejected();            // adaptive only: the attempt was refused, raise μ
  void finish_step();         // called once per step, accepted or not: advances the position
  void raise(double factor);  // a Cholesky failure: μ·factor for the rest of this step (adaptive: kept)
  void restore_after_step();  // constant/loglinear: drop a raise() made during the step
  // {μ, ν, position}: what a checkpoint needs to continue the schedule exactly.
  std::vector<double> state() const;
  void set_state(const std::vector<double>& s);

 private:
  double scheduled() const;
  OptimizerOptions options_;
  double mu_;
  double nu_;
  long position_ = 0;
};

}  // namespace pgdx::optim
