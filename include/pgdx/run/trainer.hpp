#pragma once
// The one training loop (DESIGN.md §2): batch selection, optimizer step, recording cadence,
// divergence detection, summary. Every rank runs it identically; recorders decide who writes.
// It knows the run only through TrainerOptions (run/trainer_options.hpp): no TOML, no HDF5.
#include <memory>
#include <string>
#include <vector>

#include "pgdx/diag/diagnostic.hpp"
#include "pgdx/model/model.hpp"
#include "pgdx/optim/optimizer.hpp"
#include "pgdx/parallel/comm.hpp"
#include "pgdx/problem/residual_operator.hpp"
#include "pgdx/problem/residual_problem.hpp"
#include "pgdx/run/checkpoint.hpp"
#include "pgdx/run/grokking.hpp"
#include "pgdx/run/recorder.hpp"
#include "pgdx/run/run_summary.hpp"
#include "pgdx/run/trainer_options.hpp"
#include "pgdx/task/task.hpp"
#include "pgdx/util/rng.hpp"

namespace pgdx::run {

// The steps the "log" record schedule records (besides step 0, phase ends and the last step):
// every step to 30, every 10 below 150, then 201 log-spaced steps from 150 to `steps`.
std::vector<long> log_record_steps(long steps);

class Trainer {
 public:
  // `residual` defines what is minimised (problem/residual_operator.hpp); its model is trained by
  // the options' phases in turn, each with a fresh optimizer. The options are copied.
  Trainer(const TrainerOptions& options, problem::ResidualOperator& residual, const task::Task& task,
          parallel::Comm comm);

  void add_diagnostic(std::unique_ptr<diag::Diagnostic> diagnostic) { diagnostics_.push_back(std::move(diagnostic)); }
  // Called in the order added; the recorder must outlive run().
  void add_recorder(Recorder& recorder) { recorders_.push_back(&recorder); }
  // Axes of the diagnostics added so far (what RunHeader carries).
  std::vector<diag::Axis> axes() const;
  // Continue from a checkpoint instead of θ₀ (θ₀ itself, for diagnostics, is `theta0`).
  void resume_from(const Checkpoint& checkpoint, const std::vector<double>& theta0);

  // begin → steps → end on every recorder; returns what end() was given.
  RunSummary run();

 private:
  bool full_batch() const;
  const std::vector<std::size_t>& next_batch();
  bool is_record_step(long step) const;
  Record evaluate(long step, const optim::StepInfo& info, double step_seconds);
  void emit(const Record& record, RunSummary& summary);
  bool diverged(const Record& record) const;
  Checkpoint checkpoint(long step, double elapsed) const;
  // The phase that takes step `step` (1-based): the first whose cumulative end is ≥ step.
  std::size_t phase_of(long step) const;
  void start_phase(std::size_t phase);
  // After a record: ends the current phase here when its `until` test holds.
  void end_phase_if_ready(const Record& record);
  // The last record step before `step` (−1 before step 1), from the record schedule.
  long record_step_before(long step) const;

  TrainerOptions options_;
  model::Model& model_;
  const task::Task& task_;
  std::unique_ptr<optim::Optimizer> optimizer_;
  std::size_t phase_ = 0;
  std::vector<long> phase_end_;  // cumulative step at which each phase ends (earlier if its `until` held)
  PhaseConditionState condition_state_;
  long previous_record_step_ = -1;
  diag::DiagnosticState resumed_diagnostics_;
  bool records_cg_ = false;      // some phase solves by CG: its columns are in every record
  std::vector<long> log_steps_;  // sorted, when record_log
  parallel::Comm comm_;
  problem::ResidualProblem batch_problem_;
  problem::ResidualProblem train_problem_;  // minibatch runs only (full batch: batch_problem_)
  problem::ResidualProblem test_problem_;
  std::vector<std::unique_ptr<diag::Diagnostic>> diagnostics_;
  std::vector<Recorder*> recorders_;
  std::vector<double> theta0_, train_residual_, test_residual_;
  Rng minibatch_rng_;
  std::vector<std::size_t> epoch_order_, batch_;
  std::size_t epoch_position_ = 0;
  GrokkingTracker grokking_;
  int last_solve_space_ = -1;
  long first_step_ = 1;
  double elapsed_before_ = 0.0;
};

}  // namespace pgdx::run
