#include "pgdx/optim/first_order.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "pgdx/util/stopwatch.hpp"

namespace pgdx::optim {

StepInfo Sgd::step(LeastSquaresProblem& problem) {
  StepInfo info;
  Stopwatch watch;
  problem.gradient(e_, g_);
  info.seconds.residual = watch.lap();
  theta_ = problem.params();
  for (std::size_t i = 0; i < theta_.size(); ++i) theta_[i] -= options_.lr * (g_[i] + options_.weight_decay * theta_[i]);
  problem.set_params(theta_);
  info.seconds.update = watch.lap();
  info.lr = options_.lr;
  return info;
}

OptimizerState Adam::state() const { return {{"step", {static_cast<double>(t_)}}, {"m", m_}, {"v", v_}}; }

void Adam::set_state(const OptimizerState& state) {
  t_ = static_cast<long>(state_array(state, "step").at(0));
  m_ = state_array(state, "m");
  v_ = state_array(state, "v");
}

StepInfo Adam::step(LeastSquaresProblem& problem) {
  StepInfo info;
  Stopwatch watch;
  problem.gradient(e_, g_);
  info.seconds.residual = watch.lap();
  theta_ = problem.params();
  const std::size_t p = theta_.size();
  if (m_.size() != p) {
    m_.assign(p, 0.0);
    v_.assign(p, 0.0);
  }
  ++t_;
  const double b1 = options_.beta1;
  const double b2 = options_.beta2;
  const double correction1 = 1.0 - std::pow(b1, static_cast<double>(t_));
  const double correction2 = 1.0 - std::pow(b2, static_cast<double>(t_));
  const bool decoupled = options_.method == Method::adamw;
  // Linear warm-up (PyTorch LambdaLR(min(1, t/w)) stepped after each update): steps 1 … w use η·t/w.
  const double lr = options_.warmup_steps > 0
                        ? options_.lr * std::min(1.0, static_cast<double>(t_) / static_cast<double>(options_.warmup_steps))
                        : options_.lr;
  for (std::size_t i = 0; i < p; ++i) {
    double g = g_[i];
    if (decoupled)
      theta_[i] *= 1.0 - lr * options_.weight_decay;
    else
      g += options_.weight_decay * theta_[i];
    m_[i] = b1 * m_[i] + (1.0 - b1) * g;
    v_[i] = b2 * v_[i] + (1.0 - b2) * g * g;
    const double m_hat = m_[i] / correction1;
    const double v_hat = v_[i] / correction2;
    theta_[i] -= lr * m_hat / (std::sqrt(v_hat) + options_.eps);
  }
  problem.set_params(theta_);
  info.seconds.update = watch.lap();
  info.lr = lr;
  return info;
}

}  // namespace pgdx::optim
