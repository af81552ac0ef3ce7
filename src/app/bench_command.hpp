#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "pgdx/parallel/comm.hpp"

namespace pgdx::app {

struct LmStepBenchArguments {
  std::vector<std::size_t> layers = {784, 250, 10};
  std::string activation = "relu";
  std::size_t samples = 200;
  std::string gram = "structured";
  int steps = 5;
  std::uint64_t seed = 0;
  int block = 64;
  long distributed_min_rows = 1024;
};

struct GgnStepBenchArguments {
  std::size_t modulus = 97;  // vocabulary modulus + 2, as the Figs. 8/12 task
  std::size_t width = 128, heads = 4, blocks = 2, mlp_width = 512;
  std::size_t batch = 512;
  std::size_t sample_block = 64;
  int cg_iterations = 10;
  int repeats = 3;
  std::uint64_t seed = 0;
};

struct SolveBenchArguments {
  int n = 6900;  // Fig. 5's parameter-space system
  int block = 64;
  std::string grid = "auto";  // or RxC
  int repeats = 3;
  bool lapack = true;  // also time LAPACK on rank 0 alone
  std::uint64_t seed = 0;
};

// `pgdx bench solve`: Cholesky factorisation + solve of an SPD n × n matrix with LAPACK on one rank
// and with ScaLAPACK block-cyclic over all ranks, GFLOP/s against the dgemm ceiling measured in the
// same run; last line `speedup_scalapack_over_lapack=<ratio>` when both ran.
int run_solve_bench(const SolveBenchArguments& args, const parallel::Comm& comm);

// `pgdx bench ggn-step`: times the matrix-free pieces of a GGN–CG step on the transformer (forward,
// jvp, vjp, GGN product, CG iteration, whole step with a fixed CG iteration count) on the
// modular-addition sequences, with GFLOP/s of a dense-layer flop model against the dgemm ceiling
// measured in the same run; last line `seconds_per_ggn_product=<median>`.
int run_ggn_step_bench(const GgnStepBenchArguments& args, const parallel::Comm& comm);

// `pgdx bench lm-step`: times LM steps on random data, one line per phase, then a stable last line
// `seconds_per_step=<median>`. Prints figures only; never fails on time.
int run_lm_step_bench(const LmStepBenchArguments& args, const parallel::Comm& comm);

}  // namespace pgdx::app
