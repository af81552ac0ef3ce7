#pragma once
// One interface for first- and second-order methods; the Trainer loop calls step() only.
#include <string>

#include "pgdx/optim/least_squares_problem.hpp"
#include "pgdx/optim/step_info.hpp"

namespace pgdx::optim {

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  // Takes one step on the problem's current batch; may reject it (StepInfo::accepted = false).
  virtual StepInfo step(LeastSquaresProblem& problem) = 0;
  virtual std::string name() const = 0;
};

}  // namespace pgdx::optim
