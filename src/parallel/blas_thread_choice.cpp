#include "pgdx/parallel/blas_thread_choice.hpp"

#include <mpi.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <bitset>
#include <climits>
#include <cstdlib>
#include <stdexcept>
#include <vector>

#include "pgdx/linalg/blas_threads.hpp"
#include "pgdx/util/errors.hpp"

namespace pgdx::parallel {
namespace {

void check(int rc, const char* call) {
  if (rc != MPI_SUCCESS) {
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(rc, text, &len);
    throw std::runtime_error(std::string(call) + " failed: " + std::string(text, static_cast<std::size_t>(len)));
  }
}

// A thread count from `variable`: nothing when unset or empty, else a positive integer (OpenMP's
// OMP_NUM_THREADS may be a list, "4,2", of which OpenBLAS uses the first).
std::optional<int> thread_count(const EnvironmentLookup& getenv, const char* variable) {
  const char* value = getenv(variable);
  if (value == nullptr || *value == '\0') return std::nullopt;
  const std::string text(value);
  const std::string first = std::string(variable) == "OMP_NUM_THREADS" ? text.substr(0, text.find(',')) : text;
  const bool digits = !first.empty() && first.size() <= 6 &&
                      std::all_of(first.begin(), first.end(), [](char c) { return c >= '0' && c <= '9'; });
  const int count = digits ? std::atoi(first.c_str()) : 0;
  if (count < 1)
    throw InputError(std::string("environment variable ") + variable + "=" + text +
                     ": must be a positive integer (threads per rank)");
  return count;
}

// The CPUs this process may run on, as the bytes of a CPU mask (any layout: only ORed and counted).
std::vector<unsigned char> affinity_mask() {
  const int cpus = static_cast<int>(std::max(1024L, sysconf(_SC_NPROCESSORS_CONF)));
  cpu_set_t* set = CPU_ALLOC(cpus);
  const std::size_t bytes = CPU_ALLOC_SIZE(cpus);
  CPU_ZERO_S(bytes, set);
  if (sched_getaffinity(0, bytes, set) != 0) {  // no answer: every online CPU
    const long online = std::max(1L, sysconf(_SC_NPROCESSORS_ONLN));
    for (long cpu = 0; cpu < std::min<long>(online, cpus); ++cpu) CPU_SET_S(static_cast<int>(cpu), bytes, set);
  }
  const auto* begin = reinterpret_cast<const unsigned char*>(set);
  std::vector<unsigned char> mask(begin, begin + bytes);
  CPU_FREE(set);
  return mask;
}

int count_cpus(const std::vector<unsigned char>& mask) {
  int count = 0;
  for (unsigned char byte : mask) count += static_cast<int>(std::bitset<8>(byte).count());
  return std::max(1, count);
}

RankPlacement measure_placement(const Comm& comm) {
  const MPI_Comm world = MPI_Comm_f2c(static_cast<MPI_Fint>(comm.handle()));
  MPI_Comm node = MPI_COMM_NULL;
  check(MPI_Comm_split_type(world, MPI_COMM_TYPE_SHARED, comm.rank(), MPI_INFO_NULL, &node), "MPI_Comm_split_type");
  RankPlacement placement;
  int node_rank = 0;
  check(MPI_Comm_size(node, &placement.ranks_on_node), "MPI_Comm_size");
  check(MPI_Comm_rank(node, &node_rank), "MPI_Comm_rank");
  std::vector<unsigned char> mask = affinity_mask();
  placement.rank_cpus = count_cpus(mask);
  check(MPI_Allreduce(MPI_IN_PLACE, mask.data(), static_cast<int>(mask.size()), MPI_UNSIGNED_CHAR, MPI_BOR, node),
        "MPI_Allreduce(bor)");
  placement.node_cpus = count_cpus(mask);
  MPI_Comm_free(&node);
  placement.ranks = comm.size();
  placement.max_ranks_per_node = comm.allreduce_max(placement.ranks_on_node);
  placement.nodes = static_cast<int>(comm.allreduce_sum(node_rank == 0 ? 1.0 : 0.0) + 0.5);
  return placement;
}

std::optional<BlasThreadChoice> g_in_effect;

}  // namespace

const char* to_string(BlasThreadSource source) {
  switch (source) {
    case BlasThreadSource::environment: return "env";
    case BlasThreadSource::slurm: return "slurm";
    case BlasThreadSource::node_share: return "node";
  }
  return "node";
}

BlasThreadChoice choose_blas_threads(const EnvironmentLookup& getenv, const RankPlacement& placement) {
  BlasThreadChoice choice;
  choice.placement = placement;
  for (const char* variable : {"OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS"}) {
    if (const std::optional<int> count = thread_count(getenv, variable)) {
      choice.threads = *count;
      choice.source = BlasThreadSource::environment;
      choice.reason = std::string(variable) + "=" + getenv(variable);
      return choice;
    }
  }
  // Slurm's CPUs and the node's share are capped at the rank's own mask: a launcher that bound the
  // rank to fewer CPUs (Open MPI's mpirun binds 1-2 ranks to a core each by default) would time-share the rest.
  if (const std::optional<int> count = thread_count(getenv, "SLURM_CPUS_PER_TASK")) {
    choice.threads = std::max(1, std::min(*count, placement.rank_cpus));
    choice.source = BlasThreadSource::slurm;
    choice.reason = "SLURM_CPUS_PER_TASK=" + std::to_string(*count);
    if (placement.rank_cpus < *count)
      choice.reason += ", " + std::to_string(placement.rank_cpus) + " in this rank's affinity mask";
    return choice;
  }
  const int ranks_on_node = std::max(1, placement.ranks_on_node);
  choice.threads = std::max(1, std::min(placement.rank_cpus, placement.node_cpus / ranks_on_node));
  choice.source = BlasThreadSource::node_share;
  choice.reason = std::to_string(placement.node_cpus) + " CPU" + (placement.node_cpus == 1 ? "" : "s") + " / " +
                  std::to_string(ranks_on_node) + " rank" + (ranks_on_node == 1 ? "" : "s") + " on the node";
  if (placement.rank_cpus < placement.node_cpus / ranks_on_node)
    choice.reason += ", " + std::to_string(placement.rank_cpus) + " in this rank's affinity mask";
  return choice;
}

const BlasThreadChoice& configure_blas_threads(const Comm& comm) {
  BlasThreadChoice choice = choose_blas_threads([](const char* name) { return std::getenv(name); },
                                                measure_placement(comm));
  // A rank on a fuller node gets a smaller share; every node's ranks take the smallest one.
  const int smallest_share =
      -comm.allreduce_max(choice.source == BlasThreadSource::node_share ? -choice.threads : -INT_MAX);
  if (choice.source == BlasThreadSource::node_share && smallest_share < choice.threads) {
    choice.threads = smallest_share;
    choice.reason += " (the smallest share of any node: " + std::to_string(smallest_share) + ")";
  }
  linalg::set_blas_thread_count(choice.threads);
  const int in_effect = linalg::blas_thread_count();
  if (in_effect != choice.threads) {  // a serial OpenBLAS, or more than its MAX_THREADS
    choice.reason += "; OpenBLAS (" + std::string(linalg::to_string(linalg::blas_threading())) + ") runs " +
                     std::to_string(in_effect);
    choice.threads = in_effect;
  }
  g_in_effect = choice;
  return *g_in_effect;
}

std::optional<BlasThreadChoice> blas_threads_in_effect() { return g_in_effect; }

std::string describe(const BlasThreadChoice& choice) {
  const RankPlacement& p = choice.placement;
  auto count = [](int n, const char* noun) { return std::to_string(n) + " " + noun + (n == 1 ? "" : "s"); };
  return std::to_string(choice.threads) + " per rank (" + choice.reason + "); " + count(p.ranks, "rank") + ", " +
         std::to_string(p.max_ranks_per_node) + " per node, " + count(p.nodes, "node");
}

}  // namespace pgdx::parallel
