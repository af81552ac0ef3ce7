// pgdx command line: subcommands parse arguments and call into the library; exit codes are
// 0 (success, including a diverged or interrupted run), 2 (bad input), 1 (program or library
// failure). MPI is initialised only by commands that compute: `pgdx sweep --local` launches
// mpirun jobs and must not itself be an MPI process.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <limits>
#include <optional>
#include <string>

#include "bench_command.hpp"
#include "pgdx/build_info.hpp"
#include "pgdx/io/h5_file.hpp"
#include "pgdx/linalg/blas_kernels.hpp"
#include "pgdx/parallel/blas_thread_choice.hpp"
#include "pgdx/parallel/comm.hpp"
#include "pgdx/util/errors.hpp"
#include "sweep_command.hpp"
#include "plan_command.hpp"
#include "show_command.hpp"
#include "train_command.hpp"

namespace {

// Before MPI is up, a launcher's environment tells which rank this is (only rank 0 reports).
bool launcher_rank_zero() {
  for (const char* variable : {"OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK"})
    if (const char* v = std::getenv(variable)) return std::atoi(v) == 0;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  pgdx::linalg::reexec_with_matching_blas_kernels(argv);  // before MPI: a re-exec keeps the PID
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

  pgdx::app::SweepArguments sweep;
  long task_id = std::numeric_limits<long>::min();  // not given
  CLI::App* sweep_cmd = app.add_subcommand("sweep", "A config with a [sweep] table: grid points, Slurm array tasks");
  sweep_cmd->add_option("config", sweep.config_file, "TOML config with a [sweep] table")->required();
  sweep_cmd->add_option("--set", sweep.overrides, "Override a key for every point (a swept key: fixes its value)")
      ->allow_extra_args(false);
  sweep_cmd->add_option("--out", sweep.out_dir, "Output directory (default runs/<config stem>)");
  auto* mode = sweep_cmd->add_option_group("mode", "what to do (default: run the point of SLURM_ARRAY_TASK_ID)");
  mode->add_flag("--count", sweep.count, "Print the number of grid points");
  mode->add_flag("--list", sweep.list, "Print every grid point: index, name, overrides");
  mode->add_flag("--status", sweep.status, "Status of every point in the output folder, with counts");
  mode->add_option("--task-id", task_id, "Run grid point K (else SLURM_ARRAY_TASK_ID)");
  mode->add_flag("--local", sweep.local, "Run every point not yet finished on this machine");
  mode->require_option(0, 1);
  sweep_cmd->add_option("-j,--jobs", sweep.jobs, "--local: points at a time")->capture_default_str();
  sweep_cmd->add_option("--ranks", sweep.ranks, "--local: MPI ranks per point")->capture_default_str();
  sweep_cmd->add_flag("--quiet", sweep.quiet, "No progress lines");

  std::string plan_file;
  std::vector<std::string> plan_overrides;
  int plan_ranks = 1;
  CLI::App* plan_cmd = app.add_subcommand("plan", "Sizes, Gram system, memory per rank and time, before running");
  plan_cmd->add_option("config", plan_file, "TOML run configuration (a sweep: its first point)")->required();
  plan_cmd->add_option("--set", plan_overrides, "Override a config key (repeatable)")->allow_extra_args(false);
  plan_cmd->add_option("--ranks", plan_ranks, "MPI ranks to plan for")->capture_default_str();
  bool plan_points = false;
  plan_cmd->add_flag("--points", plan_points,
                     "Also every point of a sweep: seconds per run and memory, and their sum (sweep_seconds=)");

  std::string show_file;
  CLI::App* show_cmd = app.add_subcommand("show", "A run file at a glance: status, origin, final metrics, "
                                                  "grokking, phases, config, datasets");
  show_cmd->add_option("file", show_file, "Run file (NAME.h5, or NAME.h5.partial while it runs)")->required();

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

  pgdx::app::GgnStepBenchArguments ggn_bench;
  CLI::App* ggn_step = bench_cmd->add_subcommand("ggn-step", "Seconds per GGN-CG piece on the transformer");
  ggn_step->add_option("--modulus", ggn_bench.modulus, "Task modulus P (vocabulary P + 2)")->capture_default_str();
  ggn_step->add_option("--width", ggn_bench.width, "Transformer width d")->capture_default_str();
  ggn_step->add_option("--heads", ggn_bench.heads, "Attention heads")->capture_default_str();
  ggn_step->add_option("--blocks", ggn_bench.blocks, "Transformer blocks")->capture_default_str();
  ggn_step->add_option("--mlp-width", ggn_bench.mlp_width, "MLP width")->capture_default_str();
  ggn_step->add_option("--batch", ggn_bench.batch, "Minibatch size")->capture_default_str();
  ggn_step->add_option("--sample-block", ggn_bench.sample_block, "optimizer.sample_block (0: per-rank sums)")
      ->capture_default_str();
  ggn_step->add_option("--cg-iterations", ggn_bench.cg_iterations, "CG iterations per timed step")->capture_default_str();
  ggn_step->add_option("--repeats", ggn_bench.repeats, "Timed repeats (the median is reported)")->capture_default_str();
  ggn_step->add_option("--seed", ggn_bench.seed, "Seed of data split and init")->capture_default_str();

  pgdx::app::SolveBenchArguments solve_bench;
  CLI::App* solve = bench_cmd->add_subcommand("solve", "Cholesky + solve of an SPD matrix: LAPACK on 1 rank vs ScaLAPACK");
  solve->add_option("--n", solve_bench.n, "Matrix order")->capture_default_str();
  solve->add_option("--block", solve_bench.block, "Block-cyclic block size")->capture_default_str();
  solve->add_option("--grid", solve_bench.grid, "BLACS grid: auto or RxC (R*C = ranks)")->capture_default_str();
  solve->add_option("--repeats", solve_bench.repeats, "Timed repeats (the median is reported)")->capture_default_str();
  solve->add_option("--seed", solve_bench.seed, "Seed of the matrix")->capture_default_str();
  bool solve_no_lapack = false;
  solve->add_flag("--no-lapack", solve_no_lapack, "Skip the 1-rank LAPACK timing");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = launcher_rank_zero() ? app.exit(e) : e.get_exit_code();
    return code == 0 ? 0 : 2;
  }
  if (task_id != std::numeric_limits<long>::min()) sweep.task_id = task_id;
  if (sweep.jobs < 1 || sweep.ranks < 1) {
    if (launcher_rank_zero()) std::fprintf(stderr, "pgdx: error: --jobs and --ranks must be >= 1\n");
    return 2;
  }

  const bool needs_mpi = *train_cmd || *bench_cmd || (*sweep_cmd && pgdx::app::sweep_needs_mpi(sweep));
  std::optional<pgdx::parallel::MpiSession> mpi;
  if (needs_mpi) mpi.emplace(&argc, &argv);
  const bool root = needs_mpi ? pgdx::parallel::Comm::world().is_root() : true;
  const int code = [&]() -> int {
    try {
      if (needs_mpi) pgdx::parallel::configure_blas_threads(pgdx::parallel::Comm::world());  // before any BLAS call
      if (*train_cmd) return pgdx::app::run_train(train, pgdx::parallel::Comm::world());
      if (*lm_step) return pgdx::app::run_lm_step_bench(bench, pgdx::parallel::Comm::world());
      if (*solve) {
        solve_bench.lapack = !solve_no_lapack;
        return pgdx::app::run_solve_bench(solve_bench, pgdx::parallel::Comm::world());
      }
      if (*ggn_step) return pgdx::app::run_ggn_step_bench(ggn_bench, pgdx::parallel::Comm::world());
      if (*sweep_cmd) return pgdx::app::run_sweep(sweep, [] { return pgdx::parallel::Comm::world(); });
      if (*plan_cmd) return pgdx::app::run_plan(plan_file, plan_overrides, plan_ranks, plan_points);
      if (*show_cmd) return pgdx::app::run_show(show_file);
    } catch (const pgdx::InputError& e) {
      if (root) std::fprintf(stderr, "pgdx: error: %s\n", e.what());
      return 2;
    } catch (const pgdx::IoError& e) {
      // Thrown alike on every rank (the failure is broadcast): one line, no abort.
      if (root) std::fprintf(stderr, "pgdx: error: %s\n", e.what());
      return 1;
    } catch (const std::exception& e) {
      if (needs_mpi) {
        const auto world = pgdx::parallel::Comm::world();
        std::fprintf(stderr, "pgdx: rank %d: fatal: %s\n", world.rank(), e.what());
        if (world.size() > 1) world.abort(1);
      } else {
        std::fprintf(stderr, "pgdx: fatal: %s\n", e.what());
      }
      return 1;
    }
    return 0;
  }();
  // A file HDF5 could not close (a write failed inside it) makes HDF5's shutdown at MPI_Finalize
  // crash: a process alone in its job leaves without it. (Several ranks must finalize together;
  // there the crash remains possible, after the error line — docs/cluster.md.)
  if (pgdx::io::hdf5_damaged() && (!needs_mpi || pgdx::parallel::Comm::world().size() == 1)) {
    std::fflush(nullptr);
    std::_Exit(code);
  }
  return code;
}
