// `pgdx bench solve`: the Gram system's Cholesky factorisation and solve, LAPACK on one rank against
// ScaLAPACK over all ranks, on the same SPD matrix, in one run.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "bench_command.hpp"
#include "bench_timing.hpp"
#include "pgdx/linalg/blas_kernels.hpp"
#include "pgdx/linalg/dgemm_ceiling.hpp"
#include "pgdx/parallel/blacs_grid.hpp"
#include "pgdx/parallel/blas_thread_choice.hpp"
#include "pgdx/parallel/dist_matrix.hpp"
#include "pgdx/util/errors.hpp"
#include "pgdx/util/rng.hpp"

namespace pgdx::app {
namespace {

// A symmetric entry from its (unordered) global indices: every rank fills its own blocks without
// communication and all layouts hold the same matrix. Off-diagonals in [-0.5, 0.5), diagonal n:
// strictly diagonally dominant, hence SPD.
double spd_entry(int i, int j, int n, std::uint64_t seed) {
  if (i == j) return static_cast<double>(n);
  const auto lo = static_cast<std::uint64_t>(i < j ? i : j), hi = static_cast<std::uint64_t>(i < j ? j : i);
  std::uint64_t x = seed ^ (lo << 32 | hi);  // indices below 2^32: one word per unordered pair
  return static_cast<double>(splitmix64(x) >> 11) * 0x1.0p-53 - 0.5;
}

void fill_spd(parallel::DistMatrix& a, std::uint64_t seed) {
  for (int jl = 0; jl < a.local_cols(); ++jl)
    for (int il = 0; il < a.local_rows(); ++il) a.local(il, jl) = spd_entry(a.global_row(il), a.global_col(jl), a.rows(), seed);
}

struct SolveTimes {
  std::vector<double> factor, solve;
};

// Fills, factors and solves `repeats + 1` times (the first is a warm-up); returns the solution.
std::vector<double> time_solve(parallel::DistMatrix& a, const std::vector<double>& b, int repeats, std::uint64_t seed,
                               const parallel::Comm& sync, SolveTimes& times) {
  std::vector<double> x;
  for (int r = 0; r <= repeats; ++r) {
    fill_spd(a, seed);
    x = b;
    sync.barrier();
    auto start = BenchClock::now();
    if (parallel::cholesky_factor(a) != 0) throw std::runtime_error("bench solve: the test matrix is not SPD");
    const double factor = seconds_since(start);
    start = BenchClock::now();
    parallel::cholesky_solve(a, x);
    const double solve = seconds_since(start);
    if (r == 0) continue;
    times.factor.push_back(sync.allreduce_max(factor));
    times.solve.push_back(sync.allreduce_max(solve));
  }
  return x;
}

}  // namespace

int run_solve_bench(const SolveBenchArguments& args, const parallel::Comm& comm) {
  if (args.n < 1 || args.block < 1 || args.repeats < 1)
    throw ConfigError("pgdx bench solve", "", "--n, --block and --repeats must be >= 1");
  int nprow = 0, npcol = 0;
  if (args.grid != "auto") {
    if (std::sscanf(args.grid.c_str(), "%dx%d", &nprow, &npcol) != 2 || nprow * npcol != comm.size())
      throw ConfigError("pgdx bench solve", "--grid", "must be auto or RxC with R*C = the number of ranks");
  }
  const double n = static_cast<double>(args.n);
  const double factor_flops = n * n * n / 3.0;
  std::vector<double> b(static_cast<std::size_t>(args.n));
  for (int i = 0; i < args.n; ++i) b[static_cast<std::size_t>(i)] = std::sin(0.37 * i);

  // LAPACK: the whole matrix on rank 0 alone (the other ranks wait), as a 1-rank run does it.
  SolveTimes lapack;
  std::vector<double> x_lapack;
  if (args.lapack) {
    const parallel::Comm self = parallel::Comm::self();
    if (comm.is_root()) {
      parallel::DistMatrix whole(nullptr, args.n, args.n, args.block);
      x_lapack = time_solve(whole, b, args.repeats, args.seed, self, lapack);
    }
    comm.barrier();
  }

  // ScaLAPACK over every rank, block-cyclic.
  SolveTimes scalapack;
  std::vector<double> x_scalapack;
  std::shared_ptr<const parallel::BlacsGrid> grid;
  if (comm.size() > 1) {
    grid = args.grid == "auto" ? std::make_shared<const parallel::BlacsGrid>(comm)
                               : std::make_shared<const parallel::BlacsGrid>(comm, nprow, npcol);
    parallel::DistMatrix dist(grid, args.n, args.n, args.block);
    x_scalapack = time_solve(dist, b, args.repeats, args.seed, comm, scalapack);
  }
  const double ceiling = linalg::measure_dgemm_gflops();  // every rank measures its own core at once
  const double ceiling_all = comm.allreduce_sum(ceiling);

  if (comm.is_root()) {
    const std::string shape = grid ? std::to_string(grid->rows()) + "x" + std::to_string(grid->cols()) : "-";
    std::printf("solve: SPD n = %d, ranks %d, grid %s, block %d, repeats %d (medians; the slowest rank's time)\n",
                args.n, comm.size(), shape.c_str(), args.block, args.repeats);
    std::printf("blas_core=%s\n", linalg::blas_core_description().c_str());
    if (const auto threads = parallel::blas_threads_in_effect())
      std::printf("blas_threads=%d  (%s)\n", threads->threads, parallel::describe(*threads).c_str());
    std::printf("dgemm_gflops_per_core=%.1f  dgemm_gflops_all_ranks=%.1f\n", ceiling, ceiling_all);
    auto report = [&](const char* name, const SolveTimes& t, double ceiling_used) {
      const double f = median(t.factor), s = median(t.solve);
      std::printf("%-9s potrf seconds=%.4e gflops=%.1f (%.0f %% of dgemm)  potrs seconds=%.4e  total=%.4e\n", name, f,
                  factor_flops / f / 1e9, 100.0 * factor_flops / f / 1e9 / ceiling_used, s, f + s);
    };
    if (!lapack.factor.empty()) report("lapack", lapack, ceiling);
    if (!scalapack.factor.empty()) report("scalapack", scalapack, ceiling_all);
    if (!lapack.factor.empty() && !scalapack.factor.empty()) {
      double diff = 0.0, scale = 0.0;
      for (std::size_t i = 0; i < b.size(); ++i) {
        diff = std::max(diff, std::abs(x_lapack[i] - x_scalapack[i]));
        scale = std::max(scale, std::abs(x_lapack[i]));
      }
      const double t_lapack = median(lapack.factor) + median(lapack.solve);
      const double t_scalapack = median(scalapack.factor) + median(scalapack.solve);
      std::printf("max_relative_difference=%.2e\n", diff / scale);
      std::printf("speedup_scalapack_over_lapack=%.2f\n", t_lapack / t_scalapack);
    }
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace pgdx::app
