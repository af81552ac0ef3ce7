#pragma once
// How a run ended, with the numbers a run file's final attributes and the summary line carry.
#include <cstddef>
#include <string>

#include "pgdx/run/grokking.hpp"

namespace pgdx::run {

// failed: a recorder could not write (disk full, I/O error); the run file keeps its last checkpoint.
enum class RunStatus { completed, diverged, interrupted, failed };

std::string to_string(RunStatus status);

struct RunSummary {
  RunStatus status = RunStatus::completed;
  std::string message;
  long steps = 0;
  double final_train_loss = 0.0;
  double final_test_loss = 0.0;
  double wall_seconds = 0.0;
  // Where the last recorded LM/GN step solved: 1 parameter space, 0 sample space, −1 no system.
  int solve_space = -1;
  bool classification = false;
  GrokkingMetrics grokking;  // classification runs: from the whole history (a resumed run's too)
  double final_train_accuracy = 0.0, final_test_accuracy = 0.0;
  // Phases that took at least one step (they run in order): fewer than the run's phases when
  // run.steps cut it short, or it ended early.
  std::size_t phases_run = 0;
};

}  // namespace pgdx::run
