// pgdx command line: subcommands parse arguments and call into the library; exit codes are
// 0 (success, including a diverged run), 2 (bad input), 1 (program or library failure).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <string>

#include "pgdx/build_info.hpp"
#include "pgdx/dist/comm.hpp"
#include "pgdx/util/errors.hpp"
#include "bench_command.hpp"
#include "train_command.hpp"

int main(int argc, char** argv) {
  pgdx::dist::MpiSession mpi(&argc, &argv);
  const pgdx::dist::Comm world = pgdx::dist::Comm::world();

  CLI::App app{"pgdx: preconditioned gradient descent (LM, GN) vs SGD/Adam for spectral bias and grokking"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("pgdx ") + pgdx::build::kVersion + " (" + pgdx::build::kGitCommit + ")");

  pgdx::app::TrainArguments train;
  CLI::App* train_cmd = app.add_subcommand("train", "Train one run from a TOML config; writes OUT/NAME.h5");
  train_cmd->add_option("config", train.config_file, "TOML run configuration (see jobs/)")->required();
  train_cmd->add_option("--set", train.overrides, "Override a config key, e.g. --set optimizer.mu=0.1 (repeatable)")
      ->allow_extra_args(false);
  train_cmd->add_option("--out", train.out_dir, "Output directory")->capture_default_str();
  train_cmd->add_flag("--quiet", train.quiet, "No progress lines (the summary line is still printed)");
  train_cmd->add_flag("--resume", train.resume,
                      "Continue OUT/NAME.h5 if it was interrupted (or NAME.h5.partial if it has a checkpoint); "
                      "a finished run is left alone, a missing one starts fresh");

  pgdx::app::LmStepBenchArguments bench;
  CLI::App* bench_cmd = app.add_subcommand("bench", "Benchmarks that print timings (never pass/fail)");
  bench_cmd->require_subcommand(1);
  CLI::App* lm_step = bench_cmd->add_subcommand("lm-step", "Seconds per LM step by phase, on random data");
  lm_step->add_option("--layers", bench.layers, "Widths, e.g. 784,250,10")->delimiter(',')->capture_default_str();
  lm_step->add_option("--activation", bench.activation, "tanh|relu|quadratic|identity")->capture_default_str();
  lm_step->add_option("--samples", bench.samples, "Samples n (N = n*outputs residual rows)")->capture_default_str();
  lm_step->add_option("--gram", bench.gram, "structured|explicit|auto")->capture_default_str();
  lm_step->add_option("--steps", bench.steps, "Timed steps (the median is reported)")->capture_default_str();
  lm_step->add_option("--seed", bench.seed, "Seed of data and init")->capture_default_str();
  lm_step->add_option("--block", bench.block, "Block size of the distributed Gram matrix")->capture_default_str();
  lm_step->add_option("--distributed-min-rows", bench.distributed_min_rows,
                      "Distribute K (ScaLAPACK) only when N is at least this")->capture_default_str();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = world.is_root() ? app.exit(e) : (e.get_exit_code() == 0 ? 0 : 2);
    return code == 0 ? 0 : 2;
  }

  try {
    if (*train_cmd) return pgdx::app::run_train(train, world);
    if (*lm_step) return pgdx::app::run_lm_step_bench(bench, world);
  } catch (const pgdx::InputError& e) {
    if (world.is_root()) std::fprintf(stderr, "pgdx: error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pgdx: rank %d: fatal: %s\n", world.rank(), e.what());
    if (world.size() > 1) world.abort(1);
    return 1;
  }
  return 0;
}
