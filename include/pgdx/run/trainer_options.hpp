#pragma once
// What the training loop needs to know, as plain structs: io/ turns a TOML file into them, tests
// and benchmarks build them directly. Nothing here knows TOML or HDF5.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "pgdx/loss/mse.hpp"
#include "pgdx/loss/output_loss.hpp"
#include "pgdx/optim/optimizer_options.hpp"
#include "pgdx/problem/problem_options.hpp"
#include "pgdx/run/phase_condition.hpp"

namespace pgdx::run {

// One stretch of a run with one optimizer. Each phase starts its optimizer afresh (zero moments,
// damping schedule and counters at 0).
struct Phase {
  long steps = 0;                  // with `until`: the most it takes (the rest go to the next phase)
  optim::OptimizerOptions optimizer;
  PhaseCondition until;            // none by default: the phase takes exactly `steps`
};

struct TrainerOptions {
  std::uint64_t seed = 0;       // the minibatch stream's seed (data and init are the task's and model's)
  long steps = 2000;
  long record_every = 1;        // history cadence (step 0, phase ends and the last step are always recorded)
  bool record_log = false;      // every step to 30, every 10 to 150, then 200 log-spaced steps
  std::size_t batch_size = 0;   // 0: full batch; otherwise seeded minibatches, reshuffled per epoch
  loss::Reduction reduction = loss::Reduction::mean;
  loss::LossKind loss_kind = loss::LossKind::squared;
  double residual_scale = 1.0;  // γ of e = γ(f − y): accuracy undoes it
  double grokking_test_accuracy = 0.8;  // classification: "generalised" = test accuracy ≥ this
  problem::ProblemOptions problem;      // one problem for the whole run
  // ≥ 1; their steps add up to at least `steps`. Fewer steps cut the run short: the phases run in
  // order and the one running at step `steps` ends there (phase_end_steps).
  std::vector<Phase> phases;
};

// The step at which each phase ends, cumulative: its `steps` added in order, each end cut to
// `budget` (the run's steps, ≤ their sum). A phase that would start after the budget takes no
// step: it ends where its predecessor does (phase_end_steps(p, sum) are the ends as configured).
std::vector<long> phase_end_steps(const std::vector<Phase>& phases, long budget);

}  // namespace pgdx::run
