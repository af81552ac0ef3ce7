#include "bench_command.hpp"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "bench_timing.hpp"
#include "pgdx/linalg/blas_kernels.hpp"
#include "pgdx/linalg/dgemm_ceiling.hpp"
#include "pgdx/model/mlp.hpp"
#include "pgdx/optim/levenberg_marquardt.hpp"
#include "pgdx/parallel/blas_thread_choice.hpp"
#include "pgdx/problem/residual_problem.hpp"
#include "pgdx/util/errors.hpp"
#include "pgdx/util/rng.hpp"

namespace pgdx::app {

int run_lm_step_bench(const LmStepBenchArguments& args, const parallel::Comm& comm) {
  model::MlpOptions options;
  options.layers = args.layers;
  const auto activation = model::parse_activation(args.activation);
  if (!activation) throw ConfigError("pgdx bench lm-step", "--activation", "must be one of tanh|relu|quadratic|identity");
  options.activation = *activation;
  options.init = model::Init::glorot_uniform;
  try {
    options.validate();
  } catch (const std::invalid_argument& e) {
    throw ConfigError("pgdx bench lm-step", "--layers", e.what());
  }
  const auto mode = problem::parse_gram_mode(args.gram);
  if (!mode) throw ConfigError("pgdx bench lm-step", "--gram", "must be one of structured|explicit|auto");
  if (args.samples < 1 || args.steps < 1 || args.block < 1)
    throw ConfigError("pgdx bench lm-step", "", "--samples, --steps and --block must be >= 1");

  // MNIST-like data: inputs in [0, 1], one-hot targets; values do not change the cost.
  Rng rng(args.seed, Stream::data);
  task::Dataset data{linalg::Matrix(args.layers.front(), args.samples), linalg::Matrix(args.layers.back(), args.samples),
                     linalg::Matrix()};
  for (double& v : data.x.storage()) v = rng.uniform();
  for (std::size_t j = 0; j < args.samples; ++j) data.y(rng.below(args.layers.back()), j) = 1.0;

  model::Mlp model(options, args.seed);
  problem::ResidualProblem problem(model, comm, loss::Reduction::sum, {*mode, args.block, args.distributed_min_rows});
  problem.set_all(data);
  // The real optimizer step: LM in the sample space with a fixed μ and a small rate, so the
  // model barely moves and every step costs the same.
  optim::OptimizerOptions lm_options;
  lm_options.method = optim::Method::lm;
  lm_options.lr = 1e-4;
  lm_options.mu = 1e-2;
  lm_options.solve_space = optim::SolveSpace::sample;
  optim::LevenbergMarquardt lm(lm_options);
  std::vector<double> t_residual, t_gram, t_factor, t_solve, t_update, t_total;
  for (int s = 0; s <= args.steps; ++s) {  // step 0 warms caches and allocations; not timed
    comm.barrier();
    const auto start = BenchClock::now();
    const optim::StepInfo info = lm.step(problem);
    const double total = seconds_since(start);
    if (s == 0) continue;
    t_residual.push_back(info.seconds.residual);
    t_gram.push_back(info.seconds.gram);
    t_factor.push_back(info.seconds.factorization);
    t_solve.push_back(info.seconds.solve);
    t_update.push_back(info.seconds.update);
    t_total.push_back(total);
  }
  const double ceiling = linalg::measure_dgemm_gflops();  // every rank measures its own core at once
  const double ceiling_all = comm.allreduce_sum(ceiling);

  if (comm.is_root()) {
    const double n = static_cast<double>(args.samples);
    const double rows = n * static_cast<double>(args.layers.back());
    const double p = static_cast<double>(model.num_params());
    // Useful flops of the lower triangle: explicit K = J Jᵀ is N(N+1)·p; structured is
    // Σ_l [N(N+1)·d_{l+1} (signal Grams) + n(n+1)·d_l (input Grams)].
    double gram_flops = 0.0;
    if (problem.structured()) {
      for (std::size_t l = 0; l + 1 < args.layers.size(); ++l)
        gram_flops += rows * (rows + 1) * double(args.layers[l + 1]) + n * (n + 1) * double(args.layers[l]);
    } else {
      gram_flops = rows * (rows + 1) * p;
    }
    const double gram_rate = gram_flops / median(t_gram) / 1e9;
    std::printf("lm-step: layers");
    for (std::size_t w : args.layers) std::printf("%s%zu", w == args.layers.front() ? " " : "-", w);
    const bool distributed = comm.size() > 1 && rows >= static_cast<double>(args.distributed_min_rows);
    std::printf(" %s, n = %zu, N = %.0f, p = %.0f, gram %s, ranks %d, K %s (block %d), steps %d (medians of the "
                "LM step's own timings)\n",
                args.activation.c_str(), args.samples, rows, p, problem.structured() ? "structured" : "explicit",
                comm.size(), distributed ? "distributed, ScaLAPACK" : "whole on each rank, LAPACK", args.block,
                args.steps);
    std::printf("blas_core=%s\n", linalg::blas_core_description().c_str());
    if (const auto threads = parallel::blas_threads_in_effect())
      std::printf("blas_threads=%d  (%s)\n", threads->threads, parallel::describe(*threads).c_str());
    std::printf("phase=residual       seconds=%.4e\n", median(t_residual));
    std::printf("phase=gram           seconds=%.4e  gflops=%.1f\n", median(t_gram), gram_rate);
    std::printf("phase=factorization  seconds=%.4e\n", median(t_factor));
    std::printf("phase=solve          seconds=%.4e\n", median(t_solve));
    std::printf("phase=update         seconds=%.4e\n", median(t_update));
    std::printf("dgemm_gflops_per_core=%.1f  dgemm_gflops_all_ranks=%.1f  gram_fraction_of_core_dgemm=%.2f\n",
                ceiling, ceiling_all, gram_rate / ceiling);
    std::printf("seconds_per_step=%.4e\n", median(t_total));
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace pgdx::app
