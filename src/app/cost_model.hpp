#pragma once
// A cost model of one LM or GN step of an MLP (sample-space system, structured or explicit Gram
// path) on R MPI ranks: flops, memory traffic, and communication (bytes and messages per rank) of
// each phase the optimizer times (StepInfo::seconds), turned into seconds with per-core rates
// measured on the reference machine and an alpha-beta (latency-bandwidth) model of the
// interconnect. docs/scaling.md states every formula, the constants and the model's errors
// against measured 1- and 2-rank steps. Self-contained (no MPI, no BLAS): `pgdx plan --ranks R`
// prints it, bench/ and the unit tests evaluate it for any R.
#include <cstddef>
#include <iosfwd>
#include <string>
#include <vector>

namespace pgdx::app {

// One level of the interconnect: t(message of m bytes) = alpha + beta·m.
struct Link {
  double alpha = 0.0;  // seconds per message
  double beta = 0.0;   // seconds per byte (per rank: the NIC is shared by a node's ranks, below)
};

struct Machine {
  // Per-core rates (one BLAS thread per rank), measured with `pgdx bench lm-step` / `bench solve`.
  double gemm_rate = 0.0;          // flop/s: forward passes, back-propagated signals, Jᵀz from the factors
  double gram_rate = 0.0;          // flop/s: the Gram assembly (gemm on the lower triangle + Hadamard products)
  double cholesky_rate = 0.0;      // flop/s: LAPACK dpotrf on one core
  double scalapack_efficiency = 0.0;  // a rank's pdpotrf rate / cholesky_rate (blocks of b columns)
  double eigen_rate = 0.0;         // flop/s of 10N³/3 (dsyevd / pdsyev with vectors)
  double memory_rate = 0.0;        // bytes/s: copies of K and θ-sized vector updates
  double matvec_rate = 0.0;        // flop/s: one-vector products with K or its factor (Kz, pdpotrs, U w)
  int cores_per_node = 1;          // ranks per node (one per core)
  double memory_per_node = 0.0;    // bytes
  Link shared_memory;              // ranks on one node (Open MPI's vader btl)
  Link network;                    // between nodes, one NIC per node
  std::string network_name;
};

// The 2-vCPU reference VM's rates (docs/scaling.md, "Parameters") on 64-core, 256 GB nodes
// joined by HDR InfiniBand (200 Gb/s).
Machine reference_machine();

struct StepShape {
  std::vector<std::size_t> layers;  // d_0 … d_L (MLP widths)
  bool bias = true;
  std::size_t samples = 0;          // n (the batch); N = n · d_L residual rows
  bool structured = true;           // K from layer factors (else from gathered Jacobian rows)
  bool gauss_newton = false;        // eigen-decomposition instead of Cholesky
  int block = 64;                   // optimizer.gram_block
  long distributed_min_rows = 1024; // optimizer.gram_distributed_min_rows
};

// One phase: work per rank and what it costs.
struct PhaseCost {
  double flops = 0.0;          // per rank
  double memory_bytes = 0.0;   // per rank, streamed at memory_rate
  double matvec_flops = 0.0;   // per rank, at matvec_rate (included in flops)
  double comm_bytes = 0.0;     // per rank, sent or received
  double messages = 0.0;       // per rank, on the critical path
  double compute_seconds = 0.0;
  double comm_seconds = 0.0;
  double seconds() const { return compute_seconds + comm_seconds; }
};

struct StepCost {
  int ranks = 1, grid_rows = 1, grid_cols = 1, nodes = 1;
  bool distributed = false;  // K block-cyclic over the grid (else whole on every rank)
  double rows = 0.0;         // N
  double params = 0.0;       // p
  // The phases of StepInfo::seconds (the residual phase is a forward pass on a new batch).
  PhaseCost residual, gram, factorization, solve, update;
  double compute_seconds() const;        // residual + gram + update: forward/backward and the assembly
  double solve_seconds() const;          // factorization + solve, computation only
  double communication_seconds() const;  // every phase's communication
  double seconds() const { return compute_seconds() + solve_seconds() + communication_seconds(); }
};


// Parameter count of the MLP.
double mlp_params(const std::vector<std::size_t>& layers, bool bias);

// Flops of the lower triangle of K: structured Σₗ[N(N+1)·d_{l+1} + n(n+1)·d_l], explicit N(N+1)·p
// (the count of `pgdx bench lm-step` and plan.cpp).
double gram_assembly_flops(const StepShape& shape);

// Words (8-byte) per rank that pdpotrf moves on a Pr × Pc grid: N²/2·(1/Pr + 1/Pc) (zero on 1 × 1);
// messages on its critical path: (N/b)·(2⌈log₂Pr⌉ + ⌈log₂Pc⌉).
double cholesky_words(double n, int grid_rows, int grid_cols);
double cholesky_messages(double n, int block, int grid_rows, int grid_cols);

// Collectives over R ranks on ⌈R/c⌉ nodes (hierarchical: inside nodes over shared memory, one
// exchange between nodes whose NIC the node's ranks share). `bytes` is the whole result.
double allgather_seconds(double bytes, int ranks, const Machine& m);
double allreduce_seconds(double bytes, int ranks, const Machine& m);

StepCost model_step(const StepShape& shape, int ranks, const Machine& machine);

// Bytes of K (N² doubles) plus the factorisation's copy (and GN's eigenvectors) the step holds;
// the N at which this no longer fits one node's memory.
double k_bytes(double n, bool gauss_newton);
double largest_rows_on_one_node(bool gauss_newton, const Machine& machine);

// "model of one LM step on R ranks (grid a × b, K distributed): compute …, solve …, communication …".
void print_step_cost(std::ostream& os, const StepShape& shape, const StepCost& cost, const Machine& machine);

}  // namespace pgdx::app
