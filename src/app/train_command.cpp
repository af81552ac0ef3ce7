#include "train_command.hpp"

#include <cstdio>
#include <iostream>
#include <memory>

#include "pgdx/io/run_config.hpp"
#include "pgdx/model/mlp.hpp"
#include "pgdx/optim/make_optimizer.hpp"
#include "pgdx/run/diagnostics.hpp"
#include "pgdx/run/progress.hpp"
#include "pgdx/run/run_file.hpp"
#include "pgdx/run/trainer.hpp"
#include "pgdx/task/task.hpp"

namespace pgdx::app {

int run_train(const TrainArguments& args, const dist::Comm& comm) {
  // Every rank reads and validates the same file, so bad input fails on all ranks alike and
  // before anything is written.
  const io::RunConfig config = io::load_run_config(args.config_file, args.overrides);
  const auto task = task::make_task(config.task, config.run.seed);
  model::Mlp model(config.model, config.run.seed);
  const auto optimizer = optim::make_optimizer(config.optimizer);

  run::Trainer trainer(config, model, *task, *optimizer, comm);
  trainer.add_diagnostic(std::make_unique<run::WeightDiagnostic>());
  std::size_t num_modes = 0;
  if (task->train_is_uniform_1d_grid()) {
    auto spectral = std::make_unique<run::SpectralErrorDiagnostic>(task->train().size());
    num_modes = spectral->num_modes();
    trainer.add_diagnostic(std::move(spectral));
  }

  if (comm.is_root()) {
    std::printf("pgdx: run %s  (%d rank%s)\n  task %s, %zu training samples\n  model ", config.run.name.c_str(),
                comm.size(), comm.size() == 1 ? "" : "s", task->name().c_str(), task->train().size());
    std::cout << config.model << ", p = " << model.num_params() << "\n  optimizer " << config.optimizer
              << ", loss reduction " << loss::to_string(config.reduction) << "\n";
    std::fflush(stdout);
  }

  std::unique_ptr<run::RunFile> file;
  std::string open_error;
  if (comm.is_root()) {
    try {
      file = std::make_unique<run::RunFile>(args.out_dir, config, model, *task, comm.size(), num_modes);
      trainer.add_sink(*file);
    } catch (const std::exception& e) {
      open_error = e.what();
    }
  }
  comm.broadcast(open_error);
  if (!open_error.empty()) throw std::runtime_error("cannot create the run file: " + open_error);

  std::unique_ptr<run::ProgressPrinter> progress;
  if (comm.is_root() && !args.quiet) {
    progress = std::make_unique<run::ProgressPrinter>(config.run.steps, config.run.progress_every);
    trainer.add_sink(*progress);
  }

  const run::RunSummary summary = trainer.run();
  if (comm.is_root()) {
    file->finish(summary, model);
    if (summary.status != "completed") std::fprintf(stderr, "pgdx: warning: run %s: %s\n", summary.status.c_str(),
                                                   summary.message.c_str());
    std::printf("pgdx: %s  steps %ld  train_loss %.6e  test_loss %.6e  wall %.2f s  -> %s\n",
                summary.status.c_str(), summary.steps, summary.final_train_loss, summary.final_test_loss,
                summary.wall_seconds, file->path().c_str());
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace pgdx::app
