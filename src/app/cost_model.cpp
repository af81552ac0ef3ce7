#include "cost_model.hpp"

#include "pgdx/parallel/blacs_grid.hpp"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <ostream>
#include <sstream>

namespace pgdx::app {
namespace {

constexpr double kWord = 8.0;  // bytes per double

double log2_ceil(double x) { return x <= 1.0 ? 0.0 : std::ceil(std::log2(x) - 1e-12); }

std::string seconds_text(double s) {
  std::ostringstream os;
  os << std::setprecision(3);
  if (s < 0.9995e-3)
    os << s * 1e6 << " µs";
  else if (s < 0.9995)
    os << s * 1e3 << " ms";
  else
    os << s << " s";
  return os.str();
}

int nodes_for(int ranks, const Machine& m) { return (ranks + m.cores_per_node - 1) / m.cores_per_node; }

// The compute seconds of a phase: its matrix-vector flops at matvec_rate, the other flops at
// `rate`, its streamed bytes at memory_rate.
void finish(PhaseCost& phase, double rate, const Machine& m) {
  phase.compute_seconds = (phase.flops - phase.matvec_flops) / rate + phase.matvec_flops / m.matvec_rate +
                          phase.memory_bytes / m.memory_rate;
}

// Forward flops of one sample (the dense layers' products) and of its C back-propagated signal
// columns (layers 2 … L: the signals of the first layer's weights need no product with W₁).
double forward_flops_per_sample(const std::vector<std::size_t>& d) {
  double f = 0.0;
  for (std::size_t l = 0; l + 1 < d.size(); ++l) f += 2.0 * double(d[l]) * double(d[l + 1]);
  return f;
}
double signal_flops_per_row(const std::vector<std::size_t>& d) {
  double f = 0.0;
  for (std::size_t l = 1; l + 1 < d.size(); ++l) f += 2.0 * double(d[l]) * double(d[l + 1]);
  return f;
}

// A point-to-point pattern where each rank receives `words_row` along its process row and
// `words_col` along its process column (ranks numbered row-major, c per node), with `messages`
// latencies: traffic that leaves the node goes through the NIC the node's ranks share.
double grid_traffic_seconds(double words_row, double words_col, double messages, int pr, int pc, int ranks,
                            const Machine& m) {
  if (ranks <= 1) return 0.0;
  const int c = std::min(ranks, m.cores_per_node);
  const int nodes = nodes_for(ranks, m);
  // Off-node fraction of a process row's peers (a row of pc consecutive ranks), and of a column's
  // (pr ranks at stride pc; a node holds c / pc whole rows when pc ≤ c).
  const double off_row = pc <= c ? 0.0 : 1.0 - double(c) / pc;
  const double off_col = nodes == 1 ? 0.0 : (pc <= c ? 1.0 - double(c) / ranks : 1.0 - 1.0 / pr);
  const double on_node = words_row * (1.0 - off_row) + words_col * (1.0 - off_col);
  const double off_node = words_row * off_row + words_col * off_col;
  const Link& latency = nodes > 1 ? m.network : m.shared_memory;
  return messages * latency.alpha + kWord * on_node * m.shared_memory.beta + kWord * off_node * c * m.network.beta;
}

}  // namespace

Machine reference_machine() {
  Machine m;
  // Per core, one BLAS thread, measured on the 2-vCPU VM (docs/scaling.md, "Parameters"):
  m.gemm_rate = 40e9;           // the update phase's forward pass, 784-250-10, n = 200
  m.gram_rate = 23e9;           // the 1-rank Gram phase of the MNIST LM step (bench lm-step)
  m.cholesky_rate = 46e9;       // LAPACK dpotrf, n = 2 000 (bench solve)
  m.scalapack_efficiency = 0.75;  // pdpotrf per rank on 1 × 2, n = 2 000 (bench solve: 68.7 GFLOP/s) / dpotrf
  m.eigen_rate = 8e9;           // plan.cpp's dsyevd rate (not re-measured here)
  m.memory_rate = 20e9;         // a 32 MB copy (numpy) measured 43 GB/s: half of it
  m.matvec_rate = 1e9;          // the rest of the 1-rank solve phase (triangular solves, Kz)
  m.cores_per_node = 64;
  m.memory_per_node = 256.0 * 1024 * 1024 * 1024;
  m.shared_memory = {0.5e-6, 1.0 / 5e9};   // Open MPI vader: ~0.5 µs, ~5 GB/s per rank
  m.network = {1.5e-6, 1.0 / 20e9};        // HDR InfiniBand 200 Gb/s: ~1.5 µs, ~20 GB/s per node
  m.network_name = "HDR InfiniBand 200 Gb/s";
  return m;
}

double mlp_params(const std::vector<std::size_t>& d, bool bias) {
  double p = 0.0;
  for (std::size_t l = 0; l + 1 < d.size(); ++l) p += double(d[l + 1]) * (double(d[l]) + (bias ? 1.0 : 0.0));
  return p;
}

double gram_assembly_flops(const StepShape& s) {
  const double n = double(s.samples), N = n * double(s.layers.back());
  if (!s.structured) return N * (N + 1) * mlp_params(s.layers, s.bias);
  double widths = 0.0, inputs = 0.0;
  for (std::size_t l = 0; l + 1 < s.layers.size(); ++l) {
    widths += double(s.layers[l + 1]);
    inputs += double(s.layers[l]);
  }
  return N * (N + 1) * widths + n * (n + 1) * inputs;
}

double cholesky_words(double n, int pr, int pc) {
  if (pr * pc <= 1) return 0.0;
  return n * n / 2.0 * ((pc > 1 ? 1.0 / pr : 0.0) + (pr > 1 ? 1.0 / pc : 0.0));
}

double cholesky_messages(double n, int block, int pr, int pc) {
  return std::ceil(n / block) * (2.0 * log2_ceil(pr) + log2_ceil(pc));
}

double allgather_seconds(double bytes, int ranks, const Machine& m) {
  if (ranks <= 1) return 0.0;
  const double c = std::min(ranks, m.cores_per_node), nodes = nodes_for(ranks, m);
  double t = m.shared_memory.alpha * log2_ceil(c) + m.shared_memory.beta * bytes * (c - 1.0) / c;
  if (nodes > 1) t += m.network.alpha * log2_ceil(nodes) + m.network.beta * bytes * (nodes - 1.0) / nodes;
  return t;
}

double allreduce_seconds(double bytes, int ranks, const Machine& m) {
  return 2.0 * allgather_seconds(bytes, ranks, m);  // reduce-scatter + allgather, at both levels
}

double StepCost::compute_seconds() const {
  return residual.compute_seconds + gram.compute_seconds + update.compute_seconds;
}
double StepCost::solve_seconds() const { return factorization.compute_seconds + solve.compute_seconds; }
double StepCost::communication_seconds() const {
  return residual.comm_seconds + gram.comm_seconds + factorization.comm_seconds + solve.comm_seconds +
         update.comm_seconds;
}

double k_bytes(double n, bool gauss_newton) { return kWord * n * n * (gauss_newton ? 3.0 : 2.0); }

double largest_rows_on_one_node(bool gauss_newton, const Machine& m) {
  // 10 % of the node for everything else (factors, data, MPI and BLAS buffers).
  return std::floor(std::sqrt(0.9 * m.memory_per_node / k_bytes(1.0, gauss_newton)));
}

StepCost model_step(const StepShape& s, int ranks, const Machine& m) {
  StepCost c;
  c.ranks = ranks;
  c.nodes = nodes_for(ranks, m);
  const double R = ranks;
  const double n = double(s.samples), C = double(s.layers.back()), N = n * C;
  const double p = mlp_params(s.layers, s.bias);
  c.rows = N;
  c.params = p;
  c.distributed = ranks > 1 && N >= double(s.distributed_min_rows);
  if (c.distributed) parallel::default_grid_shape(ranks, c.grid_rows, c.grid_cols);
  const int pr = c.grid_rows, pc = c.grid_cols;
  const double share = c.distributed ? R : 1.0;  // K's entries per rank: N²/share
  const double my_samples = std::ceil(n / R);    // the busiest rank's samples
  const double forward = forward_flops_per_sample(s.layers) * my_samples;

  // Residual: a forward pass on this rank's samples, e gathered on every rank.
  c.residual.flops = forward;
  c.residual.comm_bytes = kWord * N;
  c.residual.messages = log2_ceil(R);
  finish(c.residual, m.gemm_rate, m);
  c.residual.comm_seconds = allgather_seconds(kWord * N, ranks, m);

  // Gram: factors (a forward and the C signal columns) or Jacobian rows (a vjp of 2p per row) of
  // this rank's samples, gathered on every rank; each rank fills its share of K's lower triangle;
  // a whole K held by several ranks is summed by one allreduce of its N² entries.
  double gathered_words = 0.0;
  if (s.structured) {
    c.gram.flops = forward + signal_flops_per_row(s.layers) * my_samples * C;
    for (std::size_t l = 0; l + 1 < s.layers.size(); ++l)
      gathered_words += N * double(s.layers[l + 1]) + n * double(s.layers[l]);
  } else {
    c.gram.flops = 2.0 * p * my_samples * C;
    gathered_words = N * p;
  }
  const double assembly = gram_assembly_flops(s) / R;
  c.gram.compute_seconds = c.gram.flops / m.gemm_rate + assembly / m.gram_rate;
  c.gram.flops += assembly;
  const bool shared_whole = !c.distributed && ranks > 1;
  c.gram.comm_bytes = kWord * gathered_words * (R - 1.0) / R + (shared_whole ? 2.0 * kWord * N * N * (R - 1.0) / R : 0.0);
  c.gram.messages = log2_ceil(R) * (shared_whole ? 3.0 : 1.0);
  c.gram.comm_seconds = ranks > 1 ? allgather_seconds(kWord * gathered_words, ranks, m) +
                                        (shared_whole ? allreduce_seconds(kWord * N * N, ranks, m) : 0.0)
                                  : 0.0;

  // Factorization: K copied into the work matrix (read + write), then Cholesky (N³/3; distributed:
  // N³/3R plus the panels, N²b/2 on a process column of pr ranks) or the eigen-decomposition with
  // vectors (10N³/3).
  const double rate_scale = c.distributed ? m.scalapack_efficiency : 1.0;
  c.factorization.memory_bytes = 2.0 * kWord * N * N / share;
  if (s.gauss_newton) {
    c.factorization.flops = 10.0 * N * N * N / 3.0 / share;
    finish(c.factorization, m.eigen_rate * rate_scale, m);
    if (c.distributed) {
      // pdsyev: the tridiagonal reduction (a broadcast and a reduction of N/pr- and N/pc-vectors
      // per column) and the back-transformation (panels like pdpotrf's).
      const double words = 3.0 * cholesky_words(N, pr, pc);
      c.factorization.comm_bytes = kWord * words;
      c.factorization.messages = N * (2.0 * log2_ceil(pr) + 2.0 * log2_ceil(pc)) + cholesky_messages(N, s.block, pr, pc);
      c.factorization.comm_seconds = grid_traffic_seconds(words / 2.0, words / 2.0, c.factorization.messages, pr, pc,
                                                          ranks, m);
    }
  } else {
    c.factorization.flops = N * N * N / 3.0 / share + (c.distributed ? N * N * s.block / 2.0 / pr : 0.0);
    finish(c.factorization, m.cholesky_rate * rate_scale, m);
    if (c.distributed) {
      const double row = pc > 1 ? N * N / 2.0 / pr : 0.0, col = pr > 1 ? N * N / 2.0 / pc : 0.0;
      c.factorization.comm_bytes = kWord * (row + col);
      c.factorization.messages = cholesky_messages(N, s.block, pr, pc);
      c.factorization.comm_seconds = grid_traffic_seconds(row, col, c.factorization.messages, pr, pc, ranks, m);
    }
  }

  // Solve: LM's two triangular solves (2N² flops) and Kz from the lower triangle (2N²); GN's three
  // products with the eigenvectors (2N² each); shared by the ranks of a distributed K. Then
  // δ = Jᵀz on every rank from the gathered factors (2Np flops, gemm) or rows (a gemv streaming
  // the 8Np bytes of Jᵀ).
  // Distributed: every vector product ends with an allreduce of N entries, and pdpotrs's block
  // steps each wait for a broadcast and a reduction.
  const double vector_products = s.gauss_newton ? 3.0 : 2.0;
  c.solve.matvec_flops = (s.gauss_newton ? 6.0 : 4.0) * N * N / share;
  c.solve.flops = c.solve.matvec_flops + (s.structured ? 2.0 * N * p : 0.0);
  c.solve.memory_bytes = s.structured ? 0.0 : kWord * N * p;  // the gemv streams the gathered Jᵀ
  finish(c.solve, m.gemm_rate, m);
  if (c.distributed) {
    c.solve.comm_bytes = vector_products * 2.0 * kWord * N * (R - 1.0) / R;
    const double trsv_messages = s.gauss_newton ? 0.0 : 2.0 * std::ceil(N / s.block) * (log2_ceil(pr) + log2_ceil(pc));
    c.solve.messages = vector_products * 2.0 * log2_ceil(R) + trsv_messages;
    c.solve.comm_seconds = vector_products * allreduce_seconds(kWord * N, ranks, m) +
                           trsv_messages * (c.nodes > 1 ? m.network.alpha : m.shared_memory.alpha);
  }

  // Update: θ − ηδ (three p-vectors streamed) and the trial residual (a forward pass, e gathered).
  c.update.flops = forward;
  c.update.memory_bytes = 3.0 * kWord * p;
  c.update.comm_bytes = c.residual.comm_bytes;
  c.update.messages = c.residual.messages;
  finish(c.update, m.gemm_rate, m);
  c.update.comm_seconds = c.residual.comm_seconds;
  return c;
}

void print_step_cost(std::ostream& os, const StepShape& s, const StepCost& c, const Machine& m) {
  os << "step model (" << (s.gauss_newton ? "GN" : "LM") << ", " << c.ranks << " rank" << (c.ranks > 1 ? "s" : "")
     << " on " << c.nodes << " node" << (c.nodes > 1 ? "s" : "") << " of " << m.cores_per_node << " cores, "
     << (c.nodes > 1 ? m.network_name : "shared memory") << "; K "
     << (c.distributed ? "block-cyclic on " + std::to_string(c.grid_rows) + " × " + std::to_string(c.grid_cols) +
                             ", block " + std::to_string(s.block)
                       : std::string(c.ranks > 1 ? "whole on every rank" : "whole"))
     << "): " << seconds_text(c.seconds()) << " per step = compute " << seconds_text(c.compute_seconds())
     << " + solve " << seconds_text(c.solve_seconds()) << " + communication " << seconds_text(c.communication_seconds())
     << "\n";
  os << "  phases: residual " << seconds_text(c.residual.seconds()) << ", gram " << seconds_text(c.gram.seconds())
     << ", factorization " << seconds_text(c.factorization.seconds()) << ", solve " << seconds_text(c.solve.seconds())
     << ", update " << seconds_text(c.update.seconds()) << "; per rank "
     << std::setprecision(3) << (c.residual.comm_bytes + c.gram.comm_bytes + c.factorization.comm_bytes +
                                 c.solve.comm_bytes + c.update.comm_bytes) / 1e6
     << " MB in " << std::setprecision(4)
     << (c.residual.messages + c.gram.messages + c.factorization.messages + c.solve.messages + c.update.messages)
     << " messages (docs/scaling.md)\n";
}

}  // namespace pgdx::app
