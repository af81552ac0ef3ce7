#pragma once
// Gradient methods on g = c·Jᵀe (c from the loss reduction).
//   Sgd:   θ ← θ − η (g + wd·θ)                                   (wd: coupled L2, as PyTorch SGD)
//   Adam:  Kingma & Ba 2015 with bias correction; weight decay coupled (added to g), as PyTorch Adam
//   AdamW: Loshchilov & Hutter 2019: θ ← θ(1 − η·wd) before the Adam update (decoupled)
#include <vector>

#include "pgdx/optim/optimizer.hpp"
#include "pgdx/optim/optimizer_options.hpp"

namespace pgdx::optim {

class Sgd final : public Optimizer {
 public:
  explicit Sgd(const OptimizerOptions& options) : options_(options) {}
  StepInfo step(LeastSquaresProblem& problem) override;
  std::string name() const override { return "sgd"; }

 private:
  OptimizerOptions options_;
  std::vector<double> e_, g_, theta_;
};

class Adam final : public Optimizer {
 public:
  explicit Adam(const OptimizerOptions& options) : options_(options) {}
  StepInfo step(LeastSquaresProblem& problem) override;
  std::string name() const override { return options_.method == Method::adamw ? "adamw" : "adam"; }
  long steps_taken() const { return t_; }
  OptimizerState state() const override;
  void set_state(const OptimizerState& state) override;

 private:
  OptimizerOptions options_;
  long t_ = 0;
  std::vector<double> m_, v_, e_, g_, theta_;
};

}  // namespace pgdx::optim
