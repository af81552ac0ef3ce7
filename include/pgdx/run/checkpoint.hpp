#pragma once
// What a run needs to continue bit for bit (same rank count): θ, the optimizer's state, the
// minibatch stream and its position in the epoch, the step, the time spent so far and the
// grokking tracker's state, where the phases end, and the diagnostics' memory. Stored in the run
// file's /checkpoint group by io/checkpoint_file.hpp.
#include <array>
#include <cstdint>
#include <vector>

#include "pgdx/diag/diagnostic.hpp"
#include "pgdx/optim/optimizer.hpp"
#include "pgdx/run/phase_condition.hpp"

namespace pgdx::run {

struct Checkpoint {
  long step = 0;                   // optimizer steps taken
  double elapsed_seconds = 0.0;    // training-loop time before this point
  std::vector<double> params;      // θ after `step` steps
  optim::OptimizerState optimizer;
  std::array<std::uint64_t, 6> minibatch_rng{};
  std::vector<std::size_t> epoch_order;
  std::size_t epoch_position = 0;
  std::vector<std::int64_t> grokking;  // GrokkingTracker::state() (classification runs)
  // Runs with phases: each phase's cumulative end step as it stands (a phase ended by its `until`
  // test ends earlier than configured) and what the test has seen of the kernel so far.
  std::vector<long> phase_end;
  PhaseConditionState phase_condition;
  diag::DiagnosticState diagnostics;  // the diagnostics' memory between recordings (Diagnostic::save)
};

}  // namespace pgdx::run
