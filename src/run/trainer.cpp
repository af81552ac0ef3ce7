#include "pgdx/run/trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

#include "pgdx/optim/make_optimizer.hpp"


namespace pgdx::run {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Fraction of samples whose output f = e/γ + y has its largest entry where the one-hot target has.
double accuracy(const std::vector<double>& residual, const linalg::Matrix& y, double scale) {
  const std::size_t classes = y.rows(), n = y.cols();
  std::size_t correct = 0;
  for (std::size_t j = 0; j < n; ++j) {
    std::size_t predicted = 0, label = 0;
    for (std::size_t c = 1; c < classes; ++c) {
      if (residual[j * classes + c] / scale + y(c, j) > residual[j * classes + predicted] / scale + y(predicted, j))
        predicted = c;
      if (y(c, j) > y(label, j)) label = c;
    }
    correct += predicted == label ? 1 : 0;
  }
  return n ? static_cast<double>(correct) / static_cast<double>(n) : kNaN;
}
}  // namespace

std::vector<long> phase_end_steps(const std::vector<Phase>& phases, long budget) {
  std::vector<long> ends;
  long end = 0;
  for (const Phase& phase : phases) ends.push_back(std::min(end += phase.steps, budget));
  return ends;
}

std::vector<long> log_record_steps(long steps) {
  std::vector<long> out;
  for (long s = 1; s <= std::min(steps, 30L); ++s) out.push_back(s);
  for (long s = 40; s < std::min(steps, 150L); s += 10) out.push_back(s);
  if (steps > 150) {
    const int points = 200;
    for (int k = 0; k <= points; ++k)
      out.push_back(std::lround(150.0 * std::pow(static_cast<double>(steps) / 150.0, static_cast<double>(k) / points)));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Trainer::Trainer(const TrainerOptions& options, problem::ResidualOperator& residual, const task::Task& task,
                 parallel::Comm comm)
    : options_(options),
      model_(residual.model()),
      task_(task),
      comm_(comm),
      batch_problem_(residual, comm, options.reduction, options.problem),
      // The evaluation problems split samples as the batch problem does (optimizer.sample_block).
      train_problem_(residual, comm, options.reduction, options.problem),
      test_problem_(residual, comm, options.reduction, options.problem),
      minibatch_rng_(options.seed, Stream::minibatch),
      grokking_(kTrainFitAccuracy, options.grokking_test_accuracy) {
  for (problem::ResidualProblem* problem : {&batch_problem_, &train_problem_, &test_problem_})
    problem->set_loss_kind(options.loss_kind);
  if (task.test()) test_problem_.set_all(*task.test());
  if (full_batch())
    batch_problem_.set_all(task.train());
  else
    train_problem_.set_all(task.train());
  phase_end_ = phase_end_steps(options.phases, options.steps);
  for (const Phase& phase : options.phases)
    records_cg_ = records_cg_ || phase.optimizer.solver == optim::CurvatureSolver::cg;
  if (options.record_log) log_steps_ = log_record_steps(options.steps);
  start_phase(0);
}

std::vector<diag::Axis> Trainer::axes() const {
  std::vector<diag::Axis> out;
  for (const auto& diagnostic : diagnostics_) diagnostic->axes(out);
  return out;
}

std::size_t Trainer::phase_of(long step) const {
  std::size_t phase = 0;
  while (phase + 1 < phase_end_.size() && step > phase_end_[phase]) ++phase;
  return phase;
}

void Trainer::start_phase(std::size_t phase) {
  phase_ = phase;
  optimizer_ = optim::make_optimizer(options_.phases[phase].optimizer);
}

bool Trainer::full_batch() const {
  return options_.batch_size == 0 || options_.batch_size >= task_.train().size();
}

// Minibatches: a seeded permutation of the training set per epoch, consumed in consecutive
// chunks; a remainder smaller than a batch is dropped and a new epoch drawn. The stream is the
// same on every rank, so the batch does not depend on the rank count.
const std::vector<std::size_t>& Trainer::next_batch() {
  const std::size_t n = task_.train().size();
  const std::size_t b = options_.batch_size;
  if (epoch_order_.empty() || epoch_position_ + b > n) {
    epoch_order_.resize(n);
    std::iota(epoch_order_.begin(), epoch_order_.end(), std::size_t{0});
    minibatch_rng_.shuffle(epoch_order_);
    epoch_position_ = 0;
  }
  batch_.assign(epoch_order_.begin() + static_cast<long>(epoch_position_),
                epoch_order_.begin() + static_cast<long>(epoch_position_ + b));
  epoch_position_ += b;
  return batch_;
}

bool Trainer::is_record_step(long step) const {
  // Phase ends too: the step at which optimizers switch is always in the history.
  const bool scheduled = options_.record_log ? std::binary_search(log_steps_.begin(), log_steps_.end(), step)
                                             : step % options_.record_every == 0;
  return step == 0 || scheduled || step == options_.steps ||
         std::find(phase_end_.begin(), phase_end_.end(), step) != phase_end_.end();
}

Record Trainer::evaluate(long step, const optim::StepInfo& info, double step_seconds) {
  Record record;
  record.step = step;
  // Full batch: the batch problem holds the training set, split as the evaluation would split it,
  // and evaluating there leaves the model's forward pass cached for the next step.
  problem::ResidualProblem& train = full_batch() ? batch_problem_ : train_problem_;
  train.residual(train_residual_);
  record.reals.emplace_back("train_loss", train.loss_of(train_residual_));
  double test_loss = kNaN;
  if (task_.test()) {
    test_problem_.residual(test_residual_);
    test_loss = test_problem_.loss_of(test_residual_);
  }
  record.reals.emplace_back("test_loss", test_loss);
  if (task_.classification()) {
    record.reals.emplace_back("train_acc", accuracy(train_residual_, task_.train().y, options_.residual_scale));
    record.reals.emplace_back("test_acc",
                              task_.test() ? accuracy(test_residual_, task_.test()->y, options_.residual_scale) : kNaN);
  }
  record.reals.emplace_back("lr", step == 0 ? kNaN : info.lr);
  record.reals.emplace_back("mu", info.mu);
  record.reals.emplace_back("rho", info.rho);
  record.reals.emplace_back("step_seconds", step_seconds);
  record.integers.emplace_back("attempts", step == 0 ? 0 : info.attempts);
  record.integers.emplace_back("solve_fallbacks", info.solve_fallbacks);
  record.integers.emplace_back("accepted", step == 0 ? 0 : (info.accepted ? 1 : 0));
  record.integers.emplace_back("gn_rank", info.gn_rank);
  record.integers.emplace_back("parameter_space", step == 0 ? -1 : info.parameter_space);
  if (phase_end_.size() > 1) record.integers.emplace_back("phase", static_cast<std::int64_t>(phase_));
  if (records_cg_) {  // every row of a run with a CG phase, so the columns stay aligned
    record.integers.emplace_back("cg_iterations", info.cg_iterations);
    record.reals.emplace_back("cg_residual", info.cg_residual);
    record.integers.emplace_back("cg_stop", info.cg_stop);
    record.reals.emplace_back("model_decrease", info.model_decrease);
    record.integers.emplace_back("armijo_trials", info.armijo_trials);
  }
  const long phase_first_step = phase_ == 0 ? 1 : phase_end_[phase_ - 1] + 1;
  const diag::Evaluation state{step,   model_.params(),  theta0_, train_residual_,
                               phase_, phase_first_step, previous_record_step_};
  for (auto& diagnostic : diagnostics_) diagnostic->measure(state, record);
  previous_record_step_ = step;
  return record;
}

void Trainer::end_phase_if_ready(const Record& record) {
  condition_state_.observe(record);
  if (phase_ + 1 >= phase_end_.size() || record.step >= phase_end_[phase_]) return;
  const std::string reason = condition_met(options_.phases[phase_].until, record, condition_state_);
  if (reason.empty()) return;
  const long planned = phase_end_[phase_];
  phase_end_[phase_] = record.step;  // the next phase starts with the next step and ends as planned
  const PhaseEnd event{phase_, record.step, planned, reason, phase_end_};
  for (Recorder* recorder : recorders_) recorder->on_phase_end(event);
}

long Trainer::record_step_before(long step) const {
  for (long s = step - 1; s > 0; --s)
    if (is_record_step(s)) return s;
  return step > 0 ? 0 : -1;
}

void Trainer::emit(const Record& record, RunSummary& summary) {
  for (Recorder* recorder : recorders_) recorder->on_record(record);
  summary.final_train_loss = record.real("train_loss");
  summary.final_test_loss = record.real("test_loss");
  for (const auto& [name, value] : record.integers)
    if (name == "parameter_space") last_solve_space_ = static_cast<int>(value);
  if (task_.classification()) {
    summary.final_train_accuracy = record.real("train_acc");
    summary.final_test_accuracy = record.real("test_acc");
    grokking_.observe(record.step, summary.final_train_accuracy, summary.final_test_accuracy);
  }
}

bool Trainer::diverged(const Record& record) const {
  if (!std::isfinite(record.real("train_loss"))) return true;
  for (double v : model_.params())
    if (!std::isfinite(v)) return true;
  return false;
}

Checkpoint Trainer::checkpoint(long step, double elapsed) const {
  Checkpoint c;
  c.step = step;
  c.elapsed_seconds = elapsed;
  c.params = model_.params();
  c.optimizer = optimizer_->state();
  c.minibatch_rng = minibatch_rng_.state();
  c.epoch_order = epoch_order_;
  c.epoch_position = epoch_position_;
  if (task_.classification()) c.grokking = grokking_.state();
  for (const auto& diagnostic : diagnostics_) diagnostic->save(c.diagnostics);
  if (phase_end_.size() > 1) {
    c.phase_end = phase_end_;
    c.phase_condition = condition_state_;
  }
  return c;
}

void Trainer::resume_from(const Checkpoint& c, const std::vector<double>& theta0) {
  model_.set_params(c.params);
  if (!c.phase_end.empty()) {  // checkpoints of single-phase runs (and older ones) carry none
    if (c.phase_end.size() != phase_end_.size())
      throw std::invalid_argument("the checkpoint has " + std::to_string(c.phase_end.size()) + " phases, the run " +
                                  std::to_string(phase_end_.size()));
    phase_end_ = c.phase_end;
    condition_state_ = c.phase_condition;
  }
  // The state belongs to the phase that took step c.step; the next step may start a new phase.
  start_phase(phase_of(std::max(c.step, 1L)));
  optimizer_->set_state(c.optimizer);
  minibatch_rng_.set_state(c.minibatch_rng);
  epoch_order_ = c.epoch_order;
  epoch_position_ = c.epoch_position;
  if (!c.grokking.empty()) grokking_.set_state(c.grokking);
  theta0_ = theta0;
  resumed_diagnostics_ = c.diagnostics;  // given to the diagnostics when run() starts: all are added by then
  first_step_ = c.step + 1;
  previous_record_step_ = record_step_before(first_step_);
  elapsed_before_ = c.elapsed_seconds;
}

RunSummary Trainer::run() {
  using clock = std::chrono::steady_clock;
  if (first_step_ == 1) theta0_ = model_.params();
  for (auto& diagnostic : diagnostics_) diagnostic->restore(resumed_diagnostics_);
  const RunHeader header{model_, task_, comm_.size(), axes(), first_step_ == 1 ? -1 : first_step_ - 1};
  for (Recorder* recorder : recorders_) recorder->begin(header);
  RunSummary summary;
  summary.classification = task_.classification();
  summary.steps = first_step_ - 1;
  const auto start = clock::now();
  auto elapsed = [&] { return elapsed_before_ + std::chrono::duration<double>(clock::now() - start).count(); };

  if (first_step_ == 1) {
    optim::StepInfo none;
    none.attempts = 0;
    emit(evaluate(0, none, 0.0), summary);
  }
  for (long step = first_step_; step <= options_.steps; ++step) {
    if (!full_batch()) batch_problem_.set_batch(task_.train(), next_batch());
    if (phase_of(step) != phase_) start_phase(phase_of(step));  // fresh optimizer, fresh state
    const auto t0 = clock::now();
    const optim::StepInfo info = optimizer_->step(batch_problem_);
    const double seconds = std::chrono::duration<double>(clock::now() - t0).count();
    summary.steps = step;
    const bool nonfinite_params = !std::all_of(model_.params().begin(), model_.params().end(),
                                               [](double v) { return std::isfinite(v); });
    if (nonfinite_params || is_record_step(step)) {
      const Record record = evaluate(step, info, seconds);
      emit(record, summary);
      if (diverged(record)) {
        summary.status = RunStatus::diverged;
        summary.message = "non-finite loss or parameters at step " + std::to_string(step);
        break;
      }
      end_phase_if_ready(record);
    }
    StepRequests requests;
    const StepEvent event{step, options_.steps, info, seconds};
    for (Recorder* recorder : recorders_) recorder->on_step(event, requests);
    if (requests.failed) {
      summary.status = RunStatus::failed;
      summary.message = "a recorder could not write after step " + std::to_string(step);
      break;
    }
    if (step == options_.steps) break;  // nothing to continue from: the run ends here anyway
    if (requests.checkpoint || requests.stop) {
      const Checkpoint c = checkpoint(step, elapsed());
      for (Recorder* recorder : recorders_) recorder->on_checkpoint(c);
    }
    if (requests.stop) {
      summary.status = RunStatus::interrupted;
      summary.message = "stopped by a signal after step " + std::to_string(step) + "; continue with --resume";
      break;
    }
  }
  summary.wall_seconds = elapsed();
  // Every rank ran the same loop, but timing is rank 0's.
  comm_.broadcast(&summary.wall_seconds, 1);
  summary.solve_space = last_solve_space_;
  for (std::size_t phase = 0; phase < phase_end_.size(); ++phase) {
    const long first = phase == 0 ? 1 : phase_end_[phase - 1] + 1;
    if (first <= phase_end_[phase] && first <= summary.steps) summary.phases_run = phase + 1;
  }
  if (summary.classification) summary.grokking = grokking_.metrics();
  for (Recorder* recorder : recorders_) recorder->end(summary);
  return summary;
}

}  // namespace pgdx::run
