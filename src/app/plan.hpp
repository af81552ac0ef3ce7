#pragma once
// Before a run: problem sizes, the Gram system LM/GN will use, and rough estimates of memory per
// rank and time, so a user can size a Slurm request (`pgdx plan`) and a run that cannot fit is
// refused before it starts. The memory model counts the large arrays (data, θ-sized vectors,
// forward caches, K and its copies, gathered Gram factors or Jacobian) plus a fixed overhead; it
// was checked against peak RSS (docs/cluster.md). Times use rates measured on the reference
// machine (docs/performance.md) and are order-of-magnitude figures.
#include <cstddef>
#include <iosfwd>
#include <optional>
#include <string>

#include "cost_model.hpp"
#include "pgdx/io/run_config.hpp"

namespace pgdx::app {

struct Plan {
  int ranks = 1;
  std::size_t train_samples = 0, test_samples = 0, batch = 0, outputs = 0, params = 0;
  std::size_t residual_rows = 0;   // N = batch · outputs
  bool second_order = false;
  bool structured = false;         // Gram path for LM/GN
  bool distributed_gram = false;   // K block-cyclic over the ranks (else whole on each)
  bool cg = false;                 // GGN solved matrix-free by CG (no Gram system)
  double seconds_per_product = 0.0;  // one GGN product (CG iteration), matrix-free models
  std::size_t kernel_rows = 0;       // run.ntk_every > 0: the probe kernel's rows (probe samples · C)
  double kernel_records = 0.0;       // its recordings in the run
  double seconds_per_kernel_record = 0.0;
  double bytes_per_rank = 0.0;
  double seconds_per_step = 0.0;
  double seconds_total = 0.0;
  bool conditional_phases = false;  // some [phase.until] may end a phase early: the time is an upper bound
  // The first LM/GN phase of an MLP in the sample space: its step by the cost model (cost_model.hpp),
  // which also gives seconds_per_step when that phase is the first.
  std::optional<StepShape> step_shape;
  StepCost step_cost;
};

// The shape of the config's first LM or GN step that the cost model covers (an MLP solving in the
// N × N sample space), if any.
std::optional<StepShape> second_order_step_shape(const io::RunConfig& config);

Plan make_plan(const io::RunConfig& config, int ranks);
std::ostream& operator<<(std::ostream& os, const Plan& plan);

// Memory this node can give the run (MemAvailable, or a smaller cgroup limit), in bytes.
double available_memory_bytes();

}  // namespace pgdx::app
