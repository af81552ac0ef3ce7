#pragma once
// One interface for first- and second-order methods; the Trainer loop calls step() only.
#include <string>
#include <utility>
#include <vector>

#include "pgdx/problem/least_squares_problem.hpp"
#include "pgdx/optim/step_info.hpp"

namespace pgdx::optim {

// Optimizers see the problem only through this interface (problem/least_squares_problem.hpp).
using problem::LeastSquaresProblem;

// Everything an optimizer carries from step to step (Adam moments, μ and schedule position), as
// named arrays, so a checkpoint can store it and a resumed run continue bit for bit.
using OptimizerState = std::vector<std::pair<std::string, std::vector<double>>>;

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  // Takes one step on the problem's current batch; may reject it (StepInfo::accepted = false).
  virtual StepInfo step(LeastSquaresProblem& problem) = 0;
  virtual std::string name() const = 0;
  virtual OptimizerState state() const { return {}; }
  // Throws std::invalid_argument if the state is not one this optimizer wrote.
  virtual void set_state(const OptimizerState& /*state*/) {}
};

// The array called `name` in a state (throws std::invalid_argument naming it if absent).
const std::vector<double>& state_array(const OptimizerState& state, const std::string& name);

}  // namespace pgdx::optim
