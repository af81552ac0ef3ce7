#pragma once
// What LM and GGN share: options, a damping schedule (its μ and position are the checkpointed
// state) and a solver for (K + μI)z = b in the N × N sample space.
#include <memory>

#include "pgdx/optim/damping_schedule.hpp"
#include "pgdx/optim/gram_solver.hpp"
#include "pgdx/optim/optimizer.hpp"

namespace pgdx::optim {

class DampedGramOptimizer : public Optimizer {
 public:
  const DampingSchedule& damping() const { return damping_; }
  OptimizerState state() const override { return {{"damping", damping_.state()}}; }
  void set_state(const OptimizerState& state) override { damping_.set_state(state_array(state, "damping")); }

 protected:
  DampedGramOptimizer(const OptimizerOptions& options, std::unique_ptr<GramSolver> solver)
      : options_(options), damping_(options), solver_(std::move(solver)) {}

  OptimizerOptions options_;
  DampingSchedule damping_;
  std::unique_ptr<GramSolver> solver_;
  parallel::DistMatrix k_;
};

}  // namespace pgdx::optim
