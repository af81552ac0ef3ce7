// Seconds per LM step, by phase, for an MLP on the regression1d grid (default: the Fig. 3 model
// 1-80-1, n = 100), plus the dgemm rate measured in the same run for scale. Prints figures; never
// passes or fails. Usage (under mpirun for several ranks):
//   lm_step_bench [--layers 1,80,1] [--samples 100] [--steps 200]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "pgdx/dist/comm.hpp"
#include "pgdx/linalg/blas.hpp"
#include "pgdx/model/mlp.hpp"
#include "pgdx/optim/gram_solver.hpp"
#include "pgdx/run/supervised_problem.hpp"
#include "pgdx/task/regression1d.hpp"

using namespace pgdx;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

double dgemm_gflops(int n) {
  linalg::Matrix a(n, n, 1.0), b(n, n, 0.5), c(n, n);
  std::vector<double> rates;
  for (int rep = 0; rep < 5; ++rep) {
    const auto t0 = Clock::now();
    linalg::gemm(linalg::Op::none, linalg::Op::none, 1.0, a, b, 0.0, c);
    rates.push_back(2.0 * n * n * double(n) / seconds_since(t0) / 1e9);
  }
  return median(rates);
}

}  // namespace

int main(int argc, char** argv) {
  dist::MpiSession mpi(&argc, &argv);
  const auto comm = dist::Comm::world();
  std::vector<std::size_t> layers = {1, 80, 1};
  std::size_t samples = 100;
  int steps = 200;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--layers")) {
      layers.clear();
      std::stringstream ss(argv[i + 1]);
      std::string w;
      while (std::getline(ss, w, ',')) layers.push_back(std::stoul(w));
    } else if (!std::strcmp(argv[i], "--samples")) {
      samples = std::stoul(argv[i + 1]);
    } else if (!std::strcmp(argv[i], "--steps")) {
      steps = std::atoi(argv[i + 1]);
    }
  }
  model::MlpOptions o;
  o.layers = layers;
  o.init = model::Init::he_uniform;
  o.bias_init = model::Init::he_uniform;
  model::Mlp model(o, 0);
  task::Regression1d data(samples);
  run::SupervisedProblem problem(model, comm, loss::Reduction::mean);
  problem.set_all(data.train());
  optim::DenseGramSolver solver;

  std::vector<double> t_residual, t_gram, t_solve, t_jtz, t_update, t_total;
  std::vector<double> e, delta, theta;
  linalg::Matrix k;
  for (int s = 0; s < steps; ++s) {
    const auto start = Clock::now();
    auto t0 = Clock::now();
    problem.residual(e);
    t_residual.push_back(seconds_since(t0));
    t0 = Clock::now();
    problem.gram(k);
    t_gram.push_back(seconds_since(t0));
    t0 = Clock::now();
    const auto z = solver.solve_damped(k, e, 0.1, 3, 10.0);
    t_solve.push_back(seconds_since(t0));
    t0 = Clock::now();
    problem.jt_times(z.z, delta);
    t_jtz.push_back(seconds_since(t0));
    t0 = Clock::now();
    theta = problem.params();
    linalg::axpy(theta.size(), -1e-2, delta.data(), theta.data());
    problem.set_params(theta);
    problem.residual(e);  // the trial residual LM evaluates for ρ
    t_update.push_back(seconds_since(t0));
    t_total.push_back(seconds_since(start));
  }
  const double gemm_rate = dgemm_gflops(1024);
  if (comm.is_root()) {
    const std::size_t n_rows = samples * layers.back();
    std::printf("lm-step bench: layers");
    for (std::size_t w : layers) std::printf(" %zu", w);
    std::printf(", n = %zu (N = %zu), p = %zu, ranks = %d, steps = %d (medians)\n", samples, n_rows,
                model.num_params(), comm.size(), steps);
    std::printf("  phase residual          %.3e s\n", median(t_residual));
    std::printf("  phase jacobian+gram     %.3e s\n", median(t_gram));
    std::printf("  phase cholesky+solve    %.3e s\n", median(t_solve));
    std::printf("  phase J^T z             %.3e s\n", median(t_jtz));
    std::printf("  phase update+trial      %.3e s\n", median(t_update));
    const double gram_flops = double(n_rows) * double(n_rows + 1) * double(model.num_params());
    std::printf("  gram (dsyrk) rate       %.2f GFLOP/s; dgemm n=1024 in this run: %.1f GFLOP/s\n",
                gram_flops / median(t_gram) / 1e9, gemm_rate);
    std::printf("seconds_per_step=%.3e\n", median(t_total));
  }
  return 0;
}
