#pragma once
// The one training loop (DESIGN.md §2): batch selection, optimizer step, recording cadence,
// divergence detection, summary. Every rank runs it identically; sinks decide who writes.
#include <chrono>
#include <csignal>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "pgdx/parallel/comm.hpp"
#include "pgdx/io/run_config.hpp"
#include "pgdx/problem/residual_operator.hpp"
#include "pgdx/model/model.hpp"
#include "pgdx/optim/make_optimizer.hpp"
#include "pgdx/optim/optimizer.hpp"
#include "pgdx/run/checkpoint.hpp"
#include "pgdx/run/recording.hpp"
#include "pgdx/problem/residual_problem.hpp"
#include "pgdx/task/task.hpp"
#include "pgdx/util/rng.hpp"

namespace pgdx::run {

struct RunSummary {
  std::string status = "completed";  // completed | diverged | interrupted
  std::string message;
  long steps = 0;
  double final_train_loss = 0.0;
  double final_test_loss = 0.0;
  double wall_seconds = 0.0;
};

// The steps the "log" record schedule records (besides step 0, phase ends and the last step):
// every step to 30, every 10 below 150, then 201 log-spaced steps from 150 to `steps`.
std::vector<long> log_record_steps(long steps);

class Trainer {
 public:
  // `residual` defines what is minimised (loss/residual_operator.hpp); its model is trained by
  // the config's phases in turn, each with a fresh optimizer.
  Trainer(const io::RunConfig& config, problem::ResidualOperator& residual, const task::Task& task, parallel::Comm comm);

  void add_diagnostic(std::unique_ptr<Diagnostic> diagnostic) { diagnostics_.push_back(std::move(diagnostic)); }
  void add_sink(RecordSink& sink) { sinks_.push_back(&sink); }
  // A flag set asynchronously (signal handler): when set on any rank, every rank stops after the
  // current step, a checkpoint is taken and the run ends `interrupted`.
  void set_stop_flag(const volatile std::sig_atomic_t* flag) { stop_flag_ = flag; }
  // Called with every checkpoint (every run.checkpoint_every steps, and when stopping), on every rank.
  void on_checkpoint(std::function<void(const Checkpoint&)> callback) { on_checkpoint_ = std::move(callback); }
  // Continue from a checkpoint instead of θ₀ (θ₀ itself, for diagnostics, is `theta0`).
  void resume_from(const Checkpoint& checkpoint, const std::vector<double>& theta0);

  RunSummary run();

 private:
  bool full_batch() const;
  const std::vector<std::size_t>& next_batch();
  bool is_record_step(long step) const;
  Record evaluate(long step, const optim::StepInfo& info, double step_seconds);
  bool diverged(const Record& record) const;
  bool stop_requested() const;
  Checkpoint checkpoint(long step, double elapsed) const;

  const io::RunConfig& config_;
  model::Model& model_;
  const task::Task& task_;
  // The phase that takes step `step` (1-based): the first whose cumulative end is ≥ step.
  std::size_t phase_of(long step) const;
  void start_phase(std::size_t phase);

  std::unique_ptr<optim::Optimizer> optimizer_;
  std::size_t phase_ = 0;
  std::vector<long> phase_end_;  // cumulative step at which each phase ends
  std::vector<long> log_steps_;  // sorted, when run.record_schedule = "log"
  parallel::Comm comm_;
  problem::ResidualProblem batch_problem_;
  problem::ResidualProblem train_problem_;
  problem::ResidualProblem test_problem_;
  std::vector<std::unique_ptr<Diagnostic>> diagnostics_;
  std::vector<RecordSink*> sinks_;
  std::vector<double> theta0_, train_residual_, test_residual_;
  Rng minibatch_rng_;
  std::vector<std::size_t> epoch_order_, batch_;
  std::size_t epoch_position_ = 0;
  const volatile std::sig_atomic_t* stop_flag_ = nullptr;
  std::function<void(const Checkpoint&)> on_checkpoint_;
  long first_step_ = 1;
  double elapsed_before_ = 0.0;
};

}  // namespace pgdx::run
