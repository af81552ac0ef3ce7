#include "pgdx/run/grokking.hpp"

#include <algorithm>
#include <stdexcept>

namespace pgdx::run {

namespace {
std::int64_t first_reaching(const std::vector<std::int64_t>& steps, const std::vector<double>& values,
                            double threshold) {
  const std::size_t n = std::min(steps.size(), values.size());
  for (std::size_t i = 0; i < n; ++i)
    if (values[i] >= threshold) return steps[i];  // NaN never compares ≥
  return -1;
}

GrokkingMetrics with_delay(std::int64_t train_step, std::int64_t test_step) {
  GrokkingMetrics m;
  m.train_step = train_step;
  m.test_step = test_step;
  if (m.train_step >= 0 && m.test_step >= 0) m.delay = m.test_step - m.train_step;
  return m;
}
}  // namespace

GrokkingMetrics grokking_metrics(const std::vector<std::int64_t>& steps, const std::vector<double>& train_accuracy,
                                 const std::vector<double>& test_accuracy, double train_threshold,
                                 double test_threshold) {
  return with_delay(first_reaching(steps, train_accuracy, train_threshold),
                    first_reaching(steps, test_accuracy, test_threshold));
}

void GrokkingTracker::observe(std::int64_t step, double train_accuracy, double test_accuracy) {
  if (train_step_ < 0 && train_accuracy >= train_threshold_) train_step_ = step;  // NaN never compares ≥
  if (test_step_ < 0 && test_accuracy >= test_threshold_) test_step_ = step;
}

GrokkingMetrics GrokkingTracker::metrics() const { return with_delay(train_step_, test_step_); }

void GrokkingTracker::set_state(const std::vector<std::int64_t>& s) {
  if (s.size() != 2) throw std::invalid_argument("grokking state must hold 2 steps");
  train_step_ = s[0];
  test_step_ = s[1];
}

}  // namespace pgdx::run
