#include "pgdx/optim/damping_schedule.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace pgdx::optim {

DampingSchedule::DampingSchedule(const OptimizerOptions& options)
    : options_(options), mu_(options.mu), nu_(options.adaptive_grow) {}

double DampingSchedule::loglinear(double mu0, double mu1, long k, long i) {
  if (i >= k) return mu1;
  const double t = static_cast<double>(i) / static_cast<double>(k);
  return std::exp(std::log(mu0) + t * (std::log(mu1) - std::log(mu0)));
}

double DampingSchedule::scheduled() const {
  if (options_.damping == DampingKind::loglinear)
    return loglinear(options_.mu, options_.mu_final, options_.mu_decay_steps, position_);
  return options_.mu;
}

void DampingSchedule::accepted(double rho) {
  if (options_.damping != DampingKind::adaptive) return;
  const double t = 2.0 * rho - 1.0;
  mu_ = std::clamp(mu_ * std::max(options_.adaptive_min_shrink, 1.0 - t * t * t), options_.mu_min, options_.mu_max);
  nu_ = options_.adaptive_grow;
}

void DampingSchedule::rejected() {
  if (options_.damping != DampingKind::adaptive) return;
  mu_ = std::clamp(mu_ * nu_, options_.mu_min, options_.mu_max);
  nu_ *= 2.0;
}

void DampingSchedule::raise(double factor) { mu_ = std::min(mu_ * factor, options_.mu_max); }

void DampingSchedule::restore_after_step() {
  if (options_.damping != DampingKind::adaptive) mu_ = scheduled();
}

std::vector<double> DampingSchedule::state() const { return {mu_, nu_, static_cast<double>(position_)}; }

void DampingSchedule::set_state(const std::vector<double>& s) {
  if (s.size() != 3) throw std::invalid_argument("damping state must hold mu, nu and position");
  mu_ = s[0];
  nu_ = s[1];
  position_ = static_cast<long>(s[2]);
}

void DampingSchedule::finish_step() {
  ++position_;
  restore_after_step();
}

}  // namespace pgdx::optim
