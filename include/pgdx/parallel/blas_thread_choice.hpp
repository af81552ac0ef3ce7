#pragma once
// How many BLAS threads each rank uses: pgdx chooses at start-up, before the first BLAS call.
//   1. An explicit OPENBLAS_NUM_THREADS, GOTO_NUM_THREADS or OMP_NUM_THREADS wins: the variables
//      the linked OpenBLAS (pthreads build) reads when it loads, in its order of precedence.
//   2. Else Slurm's SLURM_CPUS_PER_TASK (the CPUs the job asked for each task), at most the
//      rank's own affinity mask (the launcher may have bound the rank to fewer CPUs).
//   3. Else the node's share: the CPUs the node's ranks may run on (the union of their affinity
//      masks) divided by the ranks on the node, at most the rank's own mask, at least 1.
// Ranks that fill a node get one thread each (more would make each rank's threads fight the other
// ranks for the cores); one rank alone gets every core it may use.
#include <functional>
#include <optional>
#include <string>

#include "pgdx/parallel/comm.hpp"

namespace pgdx::parallel {

enum class BlasThreadSource { environment, slurm, node_share };
const char* to_string(BlasThreadSource source);  // "env", "slurm", "node" (the run file's words)

// Where the ranks run: what the node-share rule and the run header need.
struct RankPlacement {
  int ranks = 1;               // in the job
  int ranks_on_node = 1;       // on this rank's node (MPI_COMM_TYPE_SHARED)
  int max_ranks_per_node = 1;  // on the fullest node
  int nodes = 1;
  int node_cpus = 1;           // CPUs some rank of this node may run on (union of the affinity masks)
  int rank_cpus = 1;           // CPUs this rank may run on (its own affinity mask)
};

struct BlasThreadChoice {
  int threads = 1;  // per rank
  BlasThreadSource source = BlasThreadSource::node_share;
  std::string reason;  // "OPENBLAS_NUM_THREADS=2", "SLURM_CPUS_PER_TASK=4", "2 CPUs / 2 ranks on the node"
  RankPlacement placement;
};

// The rule on plain values, for one rank. `getenv` looks a variable up (nullptr: unset; an empty
// value counts as unset, as OpenBLAS reads it). Throws InputError naming the variable when one
// that is set is not a positive integer.
using EnvironmentLookup = std::function<const char*(const char* name)>;
BlasThreadChoice choose_blas_threads(const EnvironmentLookup& getenv, const RankPlacement& placement);

// Collective over `comm`; call once, at start-up. Measures the placement, chooses with the
// process's environment, sets OpenBLAS's thread count and returns the choice with the count that
// took effect. Node shares are the smallest of any node's, so every rank gets the same count: a
// data-parallel step waits for its slowest rank anyway.
const BlasThreadChoice& configure_blas_threads(const Comm& comm);

// The choice configure_blas_threads made in this process; nothing before it was called.
std::optional<BlasThreadChoice> blas_threads_in_effect();

// For the run header: "1 per rank (2 CPUs / 2 ranks on the node); 2 ranks, 2 per node, 1 node".
std::string describe(const BlasThreadChoice& choice);

}  // namespace pgdx::parallel
