#pragma once
// A phase that ends when the run is ready for the next optimizer rather than after a fixed number of
// steps (issue 15; `[phase.until]`, docs/diagnostics.md): e.g. leave LM for AdamW once the training
// set is fitted and the kernel has stopped moving. A phase's `steps` stays its most; the steps it
// leaves go to the next phase, so the run keeps its length, record schedule and ETA.
#include <cmath>
#include <limits>
#include <ostream>
#include <string>

#include "pgdx/util/record.hpp"

namespace pgdx::run {

// Tests are checked at record steps; a phase ends at the first record step where every given
// (finite) test holds. NaN: not tested.
struct PhaseCondition {
  static constexpr double kUnset = std::numeric_limits<double>::quiet_NaN();
  double train_loss_below = kUnset;         // /history/train_loss < this
  double train_accuracy_at_least = kUnset;  // /history/train_acc ≥ this (classification)
  // |d(t) − d(t')|/(t − t') < this for the kernel drift d = ‖K_t − K₀‖_F/‖K₀‖_F of the last two
  // kernel recordings (run.ntk_every): the kernel has settled. (The magnitude: after LM's first
  // steps the drift falls back for a while, and a falling drift is a moving kernel too.)
  double kernel_drift_rate_below = kUnset;

  bool any() const {
    return std::isfinite(train_loss_below) || std::isfinite(train_accuracy_at_least) ||
           std::isfinite(kernel_drift_rate_below);
  }
  bool needs_kernel() const { return std::isfinite(kernel_drift_rate_below); }
};

// What the trainer keeps between records to test a condition: the last two kernel recordings.
// Part of a checkpoint, so a resumed run ends its phase where the uninterrupted run does.
struct PhaseConditionState {
  long drift_step = -1, previous_drift_step = -1;
  double drift = std::numeric_limits<double>::quiet_NaN(), previous_drift = std::numeric_limits<double>::quiet_NaN();

  // Takes the record's /lazy/kernel_drift, when it has one.
  void observe(const Record& record);
  double drift_rate() const;  // |d(t) − d(t')|/(t − t'); NaN before two recordings
};

// "train_acc >= 1 and kernel drift rate < 1e-05 per step" (the given tests).
std::ostream& operator<<(std::ostream& os, const PhaseCondition& condition);

// Empty when the condition does not hold at this record; otherwise why it holds, for the log
// ("train_acc 1 >= 1, kernel drift rate 3.1e-06 < 1e-05 per step").
std::string condition_met(const PhaseCondition& condition, const Record& record, const PhaseConditionState& state);

}  // namespace pgdx::run
