#include "bench_command.hpp"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "bench_timing.hpp"
#include "pgdx/linalg/blas_kernels.hpp"
#include "pgdx/linalg/dgemm_ceiling.hpp"
#include "pgdx/model/transformer.hpp"
#include "pgdx/optim/ggn_conjugate_gradient.hpp"
#include "pgdx/parallel/blas_thread_choice.hpp"
#include "pgdx/problem/residual_problem.hpp"
#include "pgdx/task/modular_addition_sequence.hpp"
#include "pgdx/util/errors.hpp"
#include "pgdx/util/rng.hpp"

namespace pgdx::app {

int run_ggn_step_bench(const GgnStepBenchArguments& args, const parallel::Comm& comm) {
  const char* where = "pgdx bench ggn-step";
  if (args.batch < 1 || args.repeats < 1 || args.cg_iterations < 1)
    throw ConfigError(where, "", "--batch, --repeats and --cg-iterations must be >= 1");
  model::TransformerOptions options;
  options.vocab = task::ModularAdditionSequence::vocabulary(args.modulus);
  options.width = args.width;
  options.heads = args.heads;
  options.blocks = args.blocks;
  options.mlp_width = args.mlp_width;
  try {
    options.validate();
  } catch (const std::invalid_argument& e) {
    throw ConfigError(where, "", e.what());
  }
  const task::ModularAdditionSequence task(args.modulus, 0.5, args.seed);
  if (args.batch > task.train().size())
    throw ConfigError(where, "--batch", "is larger than the training set (" + std::to_string(task.train().size()) + ")");
  std::vector<std::size_t> batch(args.batch);
  for (std::size_t i = 0; i < batch.size(); ++i) batch[i] = i;

  model::Transformer model(options, model::Activation::gelu, args.seed);
  problem::ProblemOptions problem_options;
  problem_options.sample_block = args.sample_block;
  problem::ResidualProblem problem(model, comm, loss::Reduction::mean, problem_options);
  problem.set_loss_kind(loss::LossKind::cross_entropy);
  problem.set_batch(task.train(), batch);
  const std::vector<double> theta = model.params();
  const std::size_t p = theta.size();
  Rng rng(args.seed, Stream::test);
  std::vector<double> v(p), out, e, z;
  for (double& x : v) x = rng.normal();

  std::vector<double> t_forward, t_jvp, t_vjp, t_product, t_step, t_iteration;
  optim::OptimizerOptions ggn_options;
  ggn_options.method = optim::Method::ggn;
  ggn_options.solver = optim::CurvatureSolver::cg;
  ggn_options.lr = 1e-6;  // a tiny first trial passes: one loss evaluation, the model barely moves
  ggn_options.mu = 1.0;
  ggn_options.cg_tolerance = 1e-300;  // exactly --cg-iterations iterations per step
  ggn_options.cg_max_iterations = args.cg_iterations;
  for (int r = 0; r <= args.repeats; ++r) {  // repeat 0 warms caches and allocations; not timed
    problem.set_params(theta);  // a new θ: the forward is recomputed
    comm.barrier();
    auto start = BenchClock::now();
    problem.residual(e);
    const double forward = seconds_since(start);
    start = BenchClock::now();
    problem.j_times(v, z);
    const double jvp = seconds_since(start);
    start = BenchClock::now();
    problem.jt_times(z, out);
    const double vjp = seconds_since(start);
    start = BenchClock::now();
    problem.ggn_times(v, out);
    const double product = seconds_since(start);
    optim::GgnConjugateGradient ggn(ggn_options);
    comm.barrier();
    start = BenchClock::now();
    const optim::StepInfo info = ggn.step(problem);
    const double step = seconds_since(start);
    if (r == 0) continue;
    t_forward.push_back(forward);
    t_jvp.push_back(jvp);
    t_vjp.push_back(vjp);
    t_product.push_back(product);
    t_step.push_back(step);
    t_iteration.push_back(info.seconds.solve / std::max(1, info.cg_iterations));
  }
  const double ceiling = linalg::measure_dgemm_gflops();
  const double ceiling_all = comm.allreduce_sum(ceiling);
  if (comm.is_root()) {
    const double forward_flops = model::transformer_forward_flops(options) * double(args.batch);
    auto rate = [](double flops, double seconds) { return flops / seconds / 1e9; };
    const double product_rate = rate(4 * forward_flops, median(t_product));
    std::printf("ggn-step: transformer vocab %zu, d %zu, heads %zu, blocks %zu, mlp %zu, p = %zu, batch %zu, "
                "sample_block %zu, ranks %d, CG iterations per step %d, repeats %d (medians)\n",
                options.vocab, options.width, options.heads, options.blocks, options.mlp_width, p, args.batch,
                args.sample_block, comm.size(), args.cg_iterations, args.repeats);
    std::printf("blas_core=%s\n", linalg::blas_core_description().c_str());
    if (const auto threads = parallel::blas_threads_in_effect())
      std::printf("blas_threads=%d  (%s)\n", threads->threads, parallel::describe(*threads).c_str());
    std::printf("phase=forward        seconds=%.4e  gflops=%.1f\n", median(t_forward), rate(forward_flops, median(t_forward)));
    std::printf("phase=jvp            seconds=%.4e  gflops=%.1f\n", median(t_jvp), rate(2 * forward_flops, median(t_jvp)));
    std::printf("phase=vjp            seconds=%.4e  gflops=%.1f\n", median(t_vjp), rate(2 * forward_flops, median(t_vjp)));
    std::printf("phase=ggn_product    seconds=%.4e  gflops=%.1f\n", median(t_product), product_rate);
    std::printf("phase=cg_iteration   seconds=%.4e\n", median(t_iteration));
    std::printf("phase=ggn_step       seconds=%.4e\n", median(t_step));
    std::printf("dgemm_gflops_per_core=%.1f  dgemm_gflops_all_ranks=%.1f  ggn_product_fraction_of_all_ranks_dgemm=%.2f\n",
                ceiling, ceiling_all, product_rate / ceiling_all);
    std::printf("seconds_per_ggn_product=%.4e\n", median(t_product));
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace pgdx::app
