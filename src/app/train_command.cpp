#include "train_command.hpp"

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>

#include "pgdx/diag/kernel_diagnostic.hpp"
#include "pgdx/diag/stock_diagnostics.hpp"
#include "pgdx/io/checkpoint_file.hpp"
#include "pgdx/io/run_config.hpp"
#include "pgdx/io/resume_file.hpp"
#include "pgdx/io/run_file.hpp"
#include "pgdx/io/run_file_check.hpp"
#include "pgdx/io/run_lock.hpp"
#include "pgdx/linalg/blas_kernels.hpp"
#include "pgdx/model/model_registry.hpp"
#include "pgdx/parallel/blas_thread_choice.hpp"
#include "pgdx/run/loop_control.hpp"
#include "pgdx/run/progress.hpp"
#include "pgdx/run/trainer.hpp"
#include "pgdx/task/task.hpp"
#include "pgdx/util/errors.hpp"
#include "plan.hpp"
#include "postprocess_hint.hpp"

namespace pgdx::app {
namespace {

volatile std::sig_atomic_t g_stop_requested = 0;

// run.ntk_every/ntk_probe and what the kernel diagnostic's predictions need to know of the run.
diag::KernelDiagnosticOptions kernel_options(const io::RunConfig& config, std::size_t train_size) {
  diag::KernelDiagnosticOptions o;
  o.every = config.run.ntk_every;
  o.probe_samples = config.run.ntk_probe;
  o.seed = config.run.seed;
  o.last_step = config.run.steps;
  o.reduction = config.reduction;
  o.full_batch = config.run.batch_size == 0 || config.run.batch_size >= train_size;
  o.squared_loss = config.loss_kind == loss::LossKind::squared;
  o.problem = config.problem;
  for (const run::Phase& phase : config.phases) o.phase_optimizers.push_back(phase.optimizer);
  return o;
}

extern "C" void request_stop(int) { g_stop_requested = 1; }

// SIGTERM (Slurm preemption and time limits) and SIGINT end the run at the next step boundary
// with a checkpoint instead of killing it.
void install_stop_handlers() {
  struct sigaction action {};
  action.sa_handler = request_stop;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
}

// Test hooks: PGDX_RAISE_SIGTERM_AT_STEP=k (or PGDX_RAISE_SIGKILL_AT_STEP=k) makes rank 0 send
// itself that signal once step k has been recorded, so interruption tests do not depend on timing.
class RaiseSignalAtStep final : public run::Recorder {
 public:
  RaiseSignalAtStep(long step, int signal) : step_(step), signal_(signal) {}
  void on_record(const Record& record) override {
    if (!raised_ && record.step >= step_) {
      raised_ = true;
      std::raise(signal_);
    }
  }

 private:
  long step_;
  int signal_;
  bool raised_ = false;
};

struct ResumePoint {
  run::Checkpoint checkpoint;
  std::vector<double> theta0;
};

// A run continued with another run.steps: the file's config becomes the new one, and the
// `budget_changes` attribute keeps every change ("50000 -> 100000 at step 31500; ...").
void record_new_budget(const std::string& partial_path, long stored_steps, const io::RunConfig& config,
                       long checkpoint_step) {
  io::H5File file(partial_path, io::H5File::Mode::read_write);
  std::string changes = file.has_attribute("budget_changes") ? file.string_attribute("budget_changes") + "; " : "";
  changes += std::to_string(stored_steps) + " -> " + std::to_string(config.run.steps) + " at step " +
             std::to_string(checkpoint_step);
  file.set_attribute("budget_changes", changes);
  file.set_attribute("config", config.effective_toml);
  file.flush();
  std::printf("pgdx: run.steps changed %ld -> %ld: continuing %s from step %ld\n", stored_steps, config.run.steps,
              partial_path.c_str(), checkpoint_step);
}

// What `--resume` continues from: NAME.h5 if it was interrupted, else NAME.h5.partial if it holds
// a checkpoint; nothing (a fresh start) if neither exists. A finished run is reported and left.
// A NAME.h5 that is not whole (io::check_run_file) cannot be trusted to continue from nor to skip:
// it is moved to NAME.h5.corrupt (kept for a post-mortem) and the run starts afresh.
// Rank 0 checks the files, rebuilds NAME.h5.partial from the one it continues (io/resume_file.hpp:
// a kill may have torn what was written after the checkpoint) and tells the others; then every
// rank reads the checkpoint itself (read-only). A file that cannot be continued exactly is moved
// to FILE.corrupt and the run starts afresh: that costs time, never a result. A rebuild the disk
// refuses (no space for the copy) leaves the file as it was and ends the run with exit 1.
std::optional<ResumePoint> find_resume_point(const TrainArguments& args, const io::RunConfig& config,
                                             const parallel::Comm& comm, std::string& finished_status) {
  namespace fs = std::filesystem;
  const fs::path base = fs::path(args.out_dir) / config.run.name;
  const std::string final_path = base.string() + ".h5", partial_path = base.string() + ".h5.partial";
  // Rank 0's verdict: "" (start afresh), "resume", "finished:STATE" or "config:MESSAGE".
  std::string verdict;
  if (comm.is_root()) {
    std::string source;
    if (fs::exists(final_path)) {
      const io::RunFileCheck check = io::check_run_file(final_path);
      if (check.state == io::RunFileState::corrupt) {
        const std::string moved = final_path + ".corrupt";
        fs::rename(final_path, moved);  // replaces an older .corrupt: the newest damage is the one to study
        std::error_code ignored;
        fs::remove(partial_path, ignored);  // nothing beside a corrupt file is trusted either
        std::fprintf(stderr, "pgdx: warning: %s is corrupt (%s); moved to %s, starting afresh\n",
                     final_path.c_str(), check.reason.c_str(), moved.c_str());
      } else if (check.state == io::RunFileState::interrupted) {
        source = final_path;
      } else {
        verdict = "finished:" + io::to_string(check.state);
      }
    } else if (fs::exists(partial_path)) {
      try {
        io::H5File file(partial_path, io::H5File::Mode::read_only);
        if (io::has_checkpoint(file)) source = partial_path;
      } catch (const std::exception&) {
        // Killed before its first flush: nothing readable to continue from; start afresh.
      }
    }
    if (!source.empty()) {
      bool same_config = false;
      std::string stored_config;
      long checkpoint_step = -1, stored_steps = 0;
      try {
        io::H5File file(source, io::H5File::Mode::read_only);
        stored_config = file.string_attribute("config");
        same_config = stored_config == config.effective_toml;
        if (!same_config && io::same_run_except_steps(stored_config, config.effective_toml)) {
          stored_steps = io::parse_run_config(stored_config, source).run.steps;
          checkpoint_step = io::read_checkpoint(file, config.run.grokking_test_accuracy).step;
        }
      } catch (const std::exception&) {  // unreadable: checkpoint_step stays -1, the configs differ
      }
      // A new run.steps alone continues the run with the new budget (recorded in the file).
      const bool new_budget = !same_config && checkpoint_step >= 0;
      if (new_budget && config.run.steps <= checkpoint_step) {
        verdict = "config:cannot resume " + source + " with run.steps = " + std::to_string(config.run.steps) +
                  ": its checkpoint is at step " + std::to_string(checkpoint_step);
      } else if (!same_config && !new_budget) {
        verdict = "config:cannot resume " + source + ": its configuration differs from this one";
      } else {
        try {
          io::rebuild_for_resume(source, partial_path);
          if (new_budget) record_new_budget(partial_path, stored_steps, config, checkpoint_step);
          verdict = "resume";
        } catch (const IoError& e) {  // the disk, not the file (no space for the copy): keep it, exit 1
          verdict = std::string("io:cannot rebuild ") + source + " to resume it: " + e.what();
        } catch (const fs::filesystem_error& e) {
          verdict = std::string("io:cannot rebuild ") + source + " to resume it: " + e.what();
        } catch (const std::exception& e) {
          const std::string moved = source + ".corrupt";
          std::error_code ignored;
          fs::rename(source, moved, ignored);
          std::fprintf(stderr, "pgdx: warning: cannot continue %s exactly (%s); moved to %s, starting afresh\n",
                       source.c_str(), e.what(), moved.c_str());
        }
      }
    }
  }
  comm.broadcast(verdict);
  if (verdict.rfind("config:", 0) == 0) throw ConfigError(config.file, "", verdict.substr(7));
  if (verdict.rfind("io:", 0) == 0) throw IoError(verdict.substr(3));
  if (verdict.rfind("finished:", 0) == 0) finished_status = verdict.substr(9);
  std::optional<ResumePoint> point;
  if (verdict == "resume") {
    io::H5File file(partial_path, io::H5File::Mode::read_only);
    point = ResumePoint{io::read_checkpoint(file, config.run.grokking_test_accuracy), file.read_reals("/init/params")};
  }
  comm.barrier();  // rank 0 reopens the file for writing only after every rank has closed it
  return point;
}

}  // namespace

int run_train(const TrainArguments& args, const parallel::Comm& comm) {
  // Every rank reads and validates the same file, so bad input fails on all ranks alike and
  // before anything is written.
  return run_configured(io::load_run_config(args.config_file, args.overrides), args, comm);
}

const char* to_string(RunOutcome outcome) {
  switch (outcome) {
    case RunOutcome::ran: return "ran";
    case RunOutcome::running_elsewhere: return "running-elsewhere";
    case RunOutcome::finished_already: return "finished-already";
  }
  return "ran";
}

int run_configured(const io::RunConfig& config, const TrainArguments& args, const parallel::Comm& comm,
                   RunOutcome* outcome) {
  if (outcome) *outcome = RunOutcome::ran;
  // Refuse, before anything is written, a run that cannot fit in this node's memory.
  const Plan plan = make_plan(config, comm.size());
  const char* local = std::getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
  const int ranks_here = local ? std::max(1, std::atoi(local)) : comm.size();
  const double available = available_memory_bytes();
  if (available > 0 && plan.bytes_per_rank * ranks_here > available) {
    char text[256];
    std::snprintf(text, sizeof text,
                  "needs about %.2f GiB per rank x %d rank(s) on this node, more than the %.2f GiB available "
                  "(see `pgdx plan %s`)",
                  plan.bytes_per_rank / 1073741824.0, ranks_here, available / 1073741824.0, config.file.c_str());
    throw ConfigError(config.file, "", text);
  }

  // One writer per run: rank 0 holds OUT/NAME.h5.lock from before anything reads or writes the
  // run's files until RunFile::end has renamed .partial to .h5 (`lock` outlives `file` below),
  // and releases it when an exception unwinds too. A runner that finds it held stops with exit 0:
  // a duplicate array element must not fail its array.
  const io::LockMethod lock_method = io::lock_method_from_environment();
  std::optional<io::RunLock> lock;
  std::string lock_error, elsewhere;
  if (comm.is_root()) {
    try {
      lock = io::RunLock::try_acquire(io::run_lock_path(args.out_dir, config.run.name), lock_method);
      if (!lock->acquired()) elsewhere = lock->holder().describe();
    } catch (const std::exception& e) {
      lock_error = e.what();
    }
  }
  comm.broadcast(lock_error);
  if (!lock_error.empty()) throw std::runtime_error("cannot take the run lock: " + lock_error);
  comm.broadcast(elsewhere);
  if (!elsewhere.empty()) {
    if (comm.is_root()) {
      std::printf("pgdx: %s is running elsewhere (%s); not started\n", config.run.name.c_str(), elsewhere.c_str());
      std::fflush(stdout);
    }
    if (outcome) *outcome = RunOutcome::running_elsewhere;
    return 0;
  }
  if (comm.is_root() && lock->taken_over())
    std::fprintf(stderr, "pgdx: warning: %s: took over the stale lock of (%s): its holder is gone\n",
                 config.run.name.c_str(), lock->taken_over()->describe().c_str());

  const auto task = task::make_task(config.task, config.run.seed);
  const std::unique_ptr<model::Model> model_owner = model::make_model(config.model, config.run.seed);
  model::Model& model = *model_owner;
  const auto residual = problem::make_residual_operator(task->residual_kind(), model, config.residual_scale);

  run::Trainer trainer(io::trainer_options(config), *residual, *task, comm);
  for (auto& diagnostic : diag::make_diagnostics(*task, model, {config.run.full_spectrum_every, config.run.steps}))
    trainer.add_diagnostic(std::move(diagnostic));
  if (config.run.ntk_every > 0)
    trainer.add_diagnostic(std::make_unique<diag::KernelDiagnostic>(*residual, task->train(), comm,
                                                                    kernel_options(config, task->train().size())));

  if (comm.is_root()) {
    std::printf("pgdx: run %s  (%d rank%s)\n  task %s, %zu training samples\n  model ", config.run.name.c_str(),
                comm.size(), comm.size() == 1 ? "" : "s", task->name().c_str(), task->train().size());
    std::cout << config.model << ", p = " << model.num_params() << "\n";
    // A run.steps below the phases' sum cuts them (run::phase_end_steps); an `until` test that
    // ends a phase early gives its steps to the next one.
    const std::vector<long> ends = run::phase_end_steps(config.phases, config.run.steps);
    bool earlier_until = false;
    for (std::size_t i = 0; i < config.phases.size(); ++i) {
      const run::Phase& phase = config.phases[i];
      const long first = i == 0 ? 1 : ends[i - 1] + 1;
      std::cout << "  optimizer " << phase.optimizer;
      if (config.phases.size() > 1 && first > ends[i]) {
        std::cout << " not run: run.steps = " << config.run.steps << " ends the run before it"
                  << (earlier_until ? " (unless an until test ends an earlier phase)" : "");
      } else if (config.phases.size() > 1) {  // (only a phase with a next one may have an `until` test)
        std::cout << " for steps " << first << "-" << ends[i];
        if (ends[i] - first + 1 < phase.steps) std::cout << " (run.steps = " << config.run.steps << " cuts it)";
        if (phase.until.any()) std::cout << " or until " << phase.until;
      }
      std::cout << "\n";
      earlier_until = earlier_until || phase.until.any();
    }
    // The Gram mode matters only to a phase that forms K; sample blocks only when set.
    const bool forms_gram = std::any_of(config.phases.begin(), config.phases.end(), [](const run::Phase& phase) {
      const optim::Method m = phase.optimizer.method;
      return m == optim::Method::lm || m == optim::Method::gn ||
             (m == optim::Method::ggn && phase.optimizer.solver == optim::CurvatureSolver::direct);
    });
    std::cout << "  ";
    if (forms_gram) std::cout << "gram " << problem::to_string(config.problem.gram) << ", ";
    if (config.problem.sample_block > 0) std::cout << "sample blocks of " << config.problem.sample_block << ", ";
    std::cout << "loss " << loss::to_string(config.loss_kind) << " (" << loss::to_string(config.reduction) << ")\n";
    std::cout << "  BLAS kernels " << linalg::blas_core_description() << "\n";
    if (const auto threads = parallel::blas_threads_in_effect())
      std::cout << "  BLAS threads " << parallel::describe(*threads) << "\n";
    std::fflush(stdout);
  }

  std::optional<ResumePoint> resume;
  if (args.resume) {
    std::string finished;
    resume = find_resume_point(args, config, comm, finished);
    if (!finished.empty()) {
      if (comm.is_root())
        std::printf("pgdx: %s/%s.h5 is already %s; nothing to resume\n", args.out_dir.c_str(),
                    config.run.name.c_str(), finished.c_str());
      if (outcome) *outcome = RunOutcome::finished_already;
      return 0;
    }
    if (resume) {
      trainer.resume_from(resume->checkpoint, resume->theta0);
      if (comm.is_root()) std::printf("  resuming after step %ld\n", resume->checkpoint.step);
    }
  }

  // Recorders, in the order they see each event: the file first (a checkpoint or a record is on
  // disk before anything reacts to it), then progress, then what steers the loop.
  std::unique_ptr<io::RunFile> file;
  std::string open_error;
  if (comm.is_root()) {
    try {
      file = std::make_unique<io::RunFile>(args.out_dir, config, resume.has_value());
      trainer.add_recorder(*file);
    } catch (const std::exception& e) {
      open_error = e.what();
    }
  }
  comm.broadcast(open_error);
  if (!open_error.empty()) throw IoError("cannot create the run file: " + open_error);

  std::unique_ptr<run::ProgressPrinter> progress;
  if (comm.is_root() && !args.quiet) {
    progress = std::make_unique<run::ProgressPrinter>(config.run.steps, config.run.progress_every, config.phases);
    trainer.add_recorder(*progress);
  }
  std::unique_ptr<RaiseSignalAtStep> test_signal;
  for (auto [variable, signal] : {std::pair<const char*, int>{"PGDX_RAISE_SIGTERM_AT_STEP", SIGTERM},
                                  {"PGDX_RAISE_SIGKILL_AT_STEP", SIGKILL}})
    if (const char* at = std::getenv(variable); at && comm.is_root()) {
      test_signal = std::make_unique<RaiseSignalAtStep>(std::atol(at), signal);
      trainer.add_recorder(*test_signal);
    }
  run::CheckpointCadence cadence(config.run.checkpoint_every);
  trainer.add_recorder(cadence);
  install_stop_handlers();
  run::StopFlagPoller stop_poller(&g_stop_requested, comm);
  trainer.add_recorder(stop_poller);

  const run::RunSummary summary = trainer.run();
  // A write failure is rank 0's to see; every rank ends with it (exit 1), and nothing more is
  // written: the .partial file keeps its last checkpoint for --resume.
  std::string failure = file ? file->failure() : "";
  comm.broadcast(failure);
  if (!failure.empty()) {
    if (comm.is_root()) std::fprintf(stderr, "pgdx: error: %s\n", failure.c_str());
    return 1;
  }
  if (comm.is_root()) {
    const std::string status = run::to_string(summary.status);
    if (summary.status != run::RunStatus::completed)
      std::fprintf(stderr, "pgdx: warning: run %s: %s\n", status.c_str(), summary.message.c_str());
    // The command that draws the run, before the summary: scripts read the summary as the last line.
    const bool finished = summary.status == run::RunStatus::completed || summary.status == run::RunStatus::diverged;
    if (finished && args.print_postprocess) {
      const std::string command = postprocess_command(config.file, file->path());
      if (!command.empty()) std::printf("post-process: %s\n", command.c_str());
    }
    char test_loss[32] = "-";  // a task without a test set has no test loss
    if (task->test()) std::snprintf(test_loss, sizeof test_loss, "%.6e", summary.final_test_loss);
    std::printf("pgdx: %s  steps %ld  train_loss %.6e  test_loss %s  wall %.2f s  -> %s\n", status.c_str(),
                summary.steps, summary.final_train_loss, test_loss, summary.wall_seconds, file->path().c_str());
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace pgdx::app
