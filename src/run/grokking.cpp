#include "pgdx/run/grokking.hpp"

#include <algorithm>

namespace pgdx::run {

namespace {
std::int64_t first_reaching(const std::vector<std::int64_t>& steps, const std::vector<double>& values,
                            double threshold) {
  const std::size_t n = std::min(steps.size(), values.size());
  for (std::size_t i = 0; i < n; ++i)
    if (values[i] >= threshold) return steps[i];  // NaN never compares ≥
  return -1;
}
}  // namespace

GrokkingMetrics grokking_metrics(const std::vector<std::int64_t>& steps, const std::vector<double>& train_accuracy,
                                 const std::vector<double>& test_accuracy, double train_threshold,
                                 double test_threshold) {
  GrokkingMetrics m;
  m.train_step = first_reaching(steps, train_accuracy, train_threshold);
  m.test_step = first_reaching(steps, test_accuracy, test_threshold);
  if (m.train_step >= 0 && m.test_step >= 0) m.delay = m.test_step - m.train_step;
  return m;
}

}  // namespace pgdx::run
