#pragma once
// Grokking numbers of a classification run: when training accuracy first reaches
// `train_threshold` (memorisation), when test accuracy first reaches `test_threshold`
// (generalisation), and the delay between them. Steps are recorded steps, so the resolution is
// the recording cadence. −1 means "not reached".
#include <cstdint>
#include <vector>

namespace pgdx::run {

struct GrokkingMetrics {
  std::int64_t train_step = -1;  // first step with train accuracy ≥ train_threshold
  std::int64_t test_step = -1;   // first step with test accuracy ≥ test_threshold
  std::int64_t delay = -1;       // test_step − train_step when both were reached
};

// From a whole recorded history (post-processing, tests).
GrokkingMetrics grokking_metrics(const std::vector<std::int64_t>& steps, const std::vector<double>& train_accuracy,
                                 const std::vector<double>& test_accuracy, double train_threshold,
                                 double test_threshold);

// The same numbers, one record at a time, from the history the trainer holds in memory. Its state
// (the two first-reaching steps) is part of a checkpoint, so a resumed run counts the steps before
// it too.
class GrokkingTracker {
 public:
  GrokkingTracker(double train_threshold, double test_threshold)
      : train_threshold_(train_threshold), test_threshold_(test_threshold) {}
  void observe(std::int64_t step, double train_accuracy, double test_accuracy);
  GrokkingMetrics metrics() const;
  std::vector<std::int64_t> state() const { return {train_step_, test_step_}; }
  void set_state(const std::vector<std::int64_t>& s);

 private:
  double train_threshold_, test_threshold_;
  std::int64_t train_step_ = -1, test_step_ = -1;
};

// "Memorised": the training accuracy the grokking delay is measured from.
constexpr double kTrainFitAccuracy = 0.99;

}  // namespace pgdx::run
