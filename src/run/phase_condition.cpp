#include "pgdx/run/phase_condition.hpp"

#include <sstream>

namespace pgdx::run {

void PhaseConditionState::observe(const Record& record) {
  for (const auto& [name, value] : record.scalars)
    if (name == "lazy/kernel_drift" && std::isfinite(value)) {
      previous_drift_step = drift_step;
      previous_drift = drift;
      drift_step = record.step;
      drift = value;
    }
}

double PhaseConditionState::drift_rate() const {
  if (previous_drift_step < 0 || drift_step <= previous_drift_step) return std::numeric_limits<double>::quiet_NaN();
  return std::abs(drift - previous_drift) / static_cast<double>(drift_step - previous_drift_step);
}

std::ostream& operator<<(std::ostream& os, const PhaseCondition& condition) {
  const char* joint = "";
  if (std::isfinite(condition.train_loss_below)) {
    os << "train_loss < " << condition.train_loss_below;
    joint = " and ";
  }
  if (std::isfinite(condition.train_accuracy_at_least)) {
    os << joint << "train_acc >= " << condition.train_accuracy_at_least;
    joint = " and ";
  }
  if (condition.needs_kernel()) os << joint << "kernel drift rate < " << condition.kernel_drift_rate_below << " per step";
  return os;
}

std::string condition_met(const PhaseCondition& condition, const Record& record, const PhaseConditionState& state) {
  if (!condition.any()) return {};
  std::ostringstream why;
  why.precision(3);
  const auto test = [&](bool tested, double value, bool holds, const char* name, const char* relation, double bound) {
    if (!tested) return true;
    if (!(std::isfinite(value) && holds)) return false;  // NaN never satisfies a test
    why << (why.tellp() > 0 ? ", " : "") << name << " " << value << " " << relation << " " << bound;
    return true;
  };
  const double loss = record.real("train_loss"), accuracy = record.real("train_acc"), rate = state.drift_rate();
  const bool met =
      test(std::isfinite(condition.train_loss_below), loss, loss < condition.train_loss_below, "train_loss", "<",
           condition.train_loss_below) &&
      test(std::isfinite(condition.train_accuracy_at_least), accuracy, accuracy >= condition.train_accuracy_at_least,
           "train_acc", ">=", condition.train_accuracy_at_least) &&
      test(condition.needs_kernel(), rate, rate < condition.kernel_drift_rate_below, "kernel drift rate", "<",
           condition.kernel_drift_rate_below);
  if (!met) return {};
  if (condition.needs_kernel()) why << " per step";
  return why.str();
}

}  // namespace pgdx::run
