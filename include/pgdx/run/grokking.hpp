#pragma once
// Grokking numbers of a classification run, derived from its recorded history: when training
// accuracy first reaches `train_threshold` (memorisation), when test accuracy first reaches
// `test_threshold` (generalisation), and the delay between them. Steps are recorded steps, so the
// resolution is the recording cadence. −1 means "not reached".
#include <cstdint>
#include <vector>

namespace pgdx::run {

struct GrokkingMetrics {
  std::int64_t train_step = -1;  // first step with train accuracy ≥ train_threshold
  std::int64_t test_step = -1;   // first step with test accuracy ≥ test_threshold
  std::int64_t delay = -1;       // test_step − train_step when both were reached
};

GrokkingMetrics grokking_metrics(const std::vector<std::int64_t>& steps, const std::vector<double>& train_accuracy,
                                 const std::vector<double>& test_accuracy, double train_threshold,
                                 double test_threshold);

}  // namespace pgdx::run
