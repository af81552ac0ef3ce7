// The LM/GN step cost model (src/app/cost_model.hpp, docs/scaling.md): flop counts against hand
// counts, the 1-rank time as work over rates, and how the terms move with the rank count.
#include <catch2/catch.hpp>

#include <cmath>

#include "cost_model.hpp"
#include "pgdx/parallel/blacs_grid.hpp"

using namespace pgdx::app;

namespace {

StepShape mnist(std::size_t samples = 200) {
  StepShape s;
  s.layers = {784, 250, 10};
  s.samples = samples;
  return s;
}

// Round rates, so the hand count below is easy to read.
Machine round_machine() {
  Machine m;
  m.gemm_rate = 40e9;
  m.gram_rate = 20e9;
  m.cholesky_rate = 50e9;
  m.scalapack_efficiency = 0.5;
  m.eigen_rate = 10e9;
  m.memory_rate = 20e9;
  m.matvec_rate = 1e9;
  m.cores_per_node = 64;
  m.memory_per_node = 256e9;
  m.shared_memory = {1e-6, 1e-10};
  m.network = {2e-6, 1e-10};
  m.network_name = "test network";
  return m;
}

}  // namespace

TEST_CASE("cost model: flop counts and grid shapes equal hand counts", "[cost]") {
  const StepShape s = mnist();
  CHECK(mlp_params(s.layers, true) == 198760.0);
  CHECK(mlp_params(s.layers, false) == 784.0 * 250 + 250.0 * 10);
  // Σₗ[N(N+1)·d_{l+1} + n(n+1)·d_l] with N = 2 000, n = 200: widths 260, inputs 1 034.
  CHECK(gram_assembly_flops(s) == 2000.0 * 2001 * 260 + 200.0 * 201 * 1034);
  StepShape explicit_rows = s;
  explicit_rows.structured = false;
  CHECK(gram_assembly_flops(explicit_rows) == 2000.0 * 2001 * 198760);
  int r = 0, c = 0;
  const int expected[][3] = {{1, 1, 1}, {2, 1, 2}, {4, 2, 2}, {6, 2, 3}, {8, 2, 4}, {64, 8, 8}, {1024, 32, 32}, {7, 1, 7}};
  for (const auto& e : expected) {
    pgdx::parallel::default_grid_shape(e[0], r, c);  // the grid the model prices is the one BlacsGrid builds
    INFO(e[0] << " ranks");
    CHECK(r == e[1]);
    CHECK(c == e[2]);
  }
  // pdpotrf: N²/2·(1/Pr + 1/Pc) words (one term per direction that has more than one process).
  CHECK(cholesky_words(1000, 1, 1) == 0.0);
  CHECK(cholesky_words(1000, 1, 2) == 500000.0);
  CHECK(cholesky_words(1000, 2, 2) == 500000.0);
  CHECK(cholesky_words(1000, 2, 4) == 500000.0 * (0.5 + 0.25));
  CHECK(cholesky_messages(1000, 64, 2, 4) == 16.0 * (2.0 + 2.0));
}

TEST_CASE("cost model: one rank is work over rates, no communication", "[cost]") {
  const Machine m = round_machine();
  const StepShape s = mnist();
  const StepCost c = model_step(s, 1, m);
  const double N = 2000, n = 200, p = 198760;
  const double forward = n * 2.0 * (784.0 * 250 + 250.0 * 10);
  const double signals = N * 2.0 * 250.0 * 10;
  CHECK_FALSE(c.distributed);
  CHECK(c.communication_seconds() == 0.0);
  CHECK(c.residual.seconds() == Approx(forward / m.gemm_rate).epsilon(1e-14));
  CHECK(c.gram.seconds() == Approx((forward + signals) / m.gemm_rate + gram_assembly_flops(s) / m.gram_rate).epsilon(1e-14));
  CHECK(c.factorization.seconds() == Approx(N * N * N / 3.0 / m.cholesky_rate + 2.0 * 8.0 * N * N / m.memory_rate).epsilon(1e-14));
  CHECK(c.solve.seconds() == Approx(2.0 * N * p / m.gemm_rate + 4.0 * N * N / m.matvec_rate).epsilon(1e-14));
  CHECK(c.update.seconds() == Approx(forward / m.gemm_rate + 3.0 * 8.0 * p / m.memory_rate).epsilon(1e-14));
  CHECK(c.seconds() == Approx(c.compute_seconds() + c.solve_seconds()).epsilon(1e-15));
  // GN: 10N³/3 at the eigen rate and three products with the eigenvectors.
  StepShape g = s;
  g.gauss_newton = true;
  const StepCost cg = model_step(g, 1, m);
  CHECK(cg.factorization.seconds() == Approx(10.0 * N * N * N / 3.0 / m.eigen_rate + 2.0 * 8.0 * N * N / m.memory_rate).epsilon(1e-14));
  CHECK(cg.solve.seconds() == Approx(2.0 * N * p / m.gemm_rate + 6.0 * N * N / m.matvec_rate).epsilon(1e-14));
}

TEST_CASE("cost model: compute-bound steps get faster with ranks, communication grows with log P", "[cost]") {
  const Machine m = round_machine();
  const StepShape big = mnist(20000);  // N = 200 000: the N³/3 Cholesky dominates
  double previous = model_step(big, 1, m).seconds();
  for (int ranks = 2; ranks <= 1024; ranks *= 2) {
    const StepCost c = model_step(big, ranks, m);
    INFO(ranks << " ranks");
    CHECK(c.distributed);
    CHECK(c.seconds() < previous);
    CHECK(c.communication_seconds() > 0.0);
    previous = c.seconds();
  }
  // Latency only (no bandwidth cost): the collectives' time is α times ⌈log₂R⌉ steps, and the
  // factorisation's messages grow with log P on square grids.
  Machine latency = m;
  latency.shared_memory.beta = latency.network.beta = 0.0;
  for (int ranks : {2, 4, 8, 64})
    CHECK(allreduce_seconds(1e6, ranks, latency) == Approx(2.0 * 1e-6 * std::log2(ranks)).epsilon(1e-12));
  CHECK(allgather_seconds(1e6, 128, latency) == Approx(1e-6 * 6 + 2e-6 * 1).epsilon(1e-12));  // 64 per node, 2 nodes
  double messages = 0.0;
  for (int side : {2, 4, 8, 16, 32}) {
    const double next = cholesky_messages(200000, 64, side, side);
    CHECK(next > messages);
    CHECK(next == Approx(std::ceil(200000.0 / 64) * 3.0 * std::log2(side)));
    messages = next;
  }
  const double small_comm = model_step(big, 4, latency).communication_seconds();
  const double large_comm = model_step(big, 64, latency).communication_seconds();
  CHECK(large_comm > small_comm);
}

TEST_CASE("cost model: K stays whole below the threshold and the one-node limit of N", "[cost]") {
  const Machine m = round_machine();
  const StepCost small = model_step(mnist(50), 4, m);  // N = 500 < 1 024
  CHECK_FALSE(small.distributed);
  // Whole K on several ranks: each assembles a share and one allreduce of N² entries sums them.
  CHECK(small.gram.comm_seconds >= allreduce_seconds(8.0 * 500 * 500, 4, m));
  CHECK(small.factorization.comm_seconds == 0.0);
  CHECK(model_step(mnist(200), 4, m).distributed);
  // 2 copies of N² doubles (K and its factor) in 90 % of 256 GB; GN adds the eigenvectors.
  CHECK(largest_rows_on_one_node(false, m) == std::floor(std::sqrt(0.9 * 256e9 / 16.0)));
  CHECK(largest_rows_on_one_node(true, m) == std::floor(std::sqrt(0.9 * 256e9 / 24.0)));
  CHECK(k_bytes(1000, false) == 16e6);
}
