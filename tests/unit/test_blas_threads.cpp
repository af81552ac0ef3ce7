// pgdx's choice of BLAS threads per rank (parallel/blas_thread_choice.hpp): an explicit variable
// wins in OpenBLAS's order, then Slurm's CPUs per task, then the node's CPUs shared by its ranks.
#include <catch2/catch.hpp>

#include <map>
#include <string>

#include "pgdx/linalg/blas_threads.hpp"
#include "pgdx/parallel/blas_thread_choice.hpp"
#include "pgdx/util/errors.hpp"

using pgdx::parallel::BlasThreadChoice;
using pgdx::parallel::BlasThreadSource;
using pgdx::parallel::choose_blas_threads;
using pgdx::parallel::RankPlacement;

namespace {

BlasThreadChoice choose(const std::map<std::string, std::string>& environment, const RankPlacement& placement) {
  return choose_blas_threads(
      [&](const char* name) -> const char* {
        const auto it = environment.find(name);
        return it == environment.end() ? nullptr : it->second.c_str();
      },
      placement);
}

RankPlacement node(int cpus, int ranks_on_node, int rank_cpus) {
  RankPlacement p;
  p.ranks = p.ranks_on_node = p.max_ranks_per_node = ranks_on_node;
  p.node_cpus = cpus;
  p.rank_cpus = rank_cpus;
  return p;
}

}  // namespace

TEST_CASE("blas threads: without variables, the node's CPUs are shared by its ranks, at least one each") {
  const BlasThreadChoice two_ranks = choose({}, node(2, 2, 2));
  CHECK(two_ranks.threads == 1);
  CHECK(two_ranks.source == BlasThreadSource::node_share);
  CHECK(two_ranks.reason == "2 CPUs / 2 ranks on the node");
  CHECK(choose({}, node(2, 1, 2)).threads == 2);
  CHECK(choose({}, node(64, 4, 64)).threads == 16);
  CHECK(choose({}, node(2, 4, 2)).threads == 1);   // oversubscribed: never 0
  CHECK(choose({}, node(2, 2, 1)).threads == 1);   // mpirun bound each rank to a core
  // Bound to one core of four free ones: the rank's own mask is the limit.
  const BlasThreadChoice bound = choose({}, node(8, 2, 1));
  CHECK(bound.threads == 1);
  CHECK(bound.reason == "8 CPUs / 2 ranks on the node, 1 in this rank's affinity mask");
}

TEST_CASE("blas threads: an explicit variable wins in the order OpenBLAS reads them, then Slurm's") {
  const RankPlacement p = node(2, 2, 2);
  const BlasThreadChoice env = choose({{"OPENBLAS_NUM_THREADS", "3"}, {"OMP_NUM_THREADS", "5"},
                                       {"SLURM_CPUS_PER_TASK", "4"}}, p);
  CHECK(env.threads == 3);
  CHECK(env.source == BlasThreadSource::environment);
  CHECK(env.reason == "OPENBLAS_NUM_THREADS=3");
  CHECK(choose({{"GOTO_NUM_THREADS", "6"}, {"OMP_NUM_THREADS", "5"}}, p).threads == 6);
  const BlasThreadChoice omp = choose({{"OMP_NUM_THREADS", "4,2"}}, p);  // OpenMP's nested list: the first
  CHECK(omp.threads == 4);
  CHECK(omp.reason == "OMP_NUM_THREADS=4,2");
  const BlasThreadChoice slurm = choose({{"SLURM_CPUS_PER_TASK", "4"}}, node(8, 2, 8));
  CHECK(slurm.threads == 4);
  CHECK(slurm.source == BlasThreadSource::slurm);
  CHECK(slurm.reason == "SLURM_CPUS_PER_TASK=4");
  const BlasThreadChoice slurm_bound = choose({{"SLURM_CPUS_PER_TASK", "4"}}, node(8, 2, 1));
  CHECK(slurm_bound.threads == 1);  // mpirun bound the rank to one core of its four
  CHECK(slurm_bound.reason == "SLURM_CPUS_PER_TASK=4, 1 in this rank's affinity mask");
  CHECK(choose({{"OPENBLAS_NUM_THREADS", "4"}}, node(8, 2, 1)).threads == 4);  // explicit: as asked
  CHECK(choose({{"OPENBLAS_NUM_THREADS", ""}}, p).source == BlasThreadSource::node_share);  // empty = unset
  CHECK(std::string(pgdx::parallel::to_string(BlasThreadSource::environment)) == "env");
  CHECK(std::string(pgdx::parallel::to_string(BlasThreadSource::node_share)) == "node");
}

TEST_CASE("blas threads: a variable that is not a positive integer is an input error naming it") {
  const RankPlacement p = node(2, 1, 2);
  for (const char* bad : {"0", "-1", "two", "2x", "1.5", "99999999999"}) {
    INFO("OPENBLAS_NUM_THREADS=" << bad);
    CHECK_THROWS_MATCHES(choose({{"OPENBLAS_NUM_THREADS", bad}}, p), pgdx::InputError,
                         Catch::Matchers::Message(std::string("environment variable OPENBLAS_NUM_THREADS=") + bad +
                                                  ": must be a positive integer (threads per rank)"));
  }
  CHECK_THROWS_AS(choose({{"SLURM_CPUS_PER_TASK", "x"}}, p), pgdx::InputError);
  CHECK_THROWS_AS(choose({{"OMP_NUM_THREADS", ",2"}}, p), pgdx::InputError);
}

TEST_CASE("blas threads: the linked OpenBLAS takes a thread count at run time") {
  const int before = pgdx::linalg::blas_thread_count();
  // Debian's default alternative is the pthreads build (PLATFORM.md); a serial one ignores the count.
  REQUIRE(pgdx::linalg::blas_threading() != pgdx::linalg::BlasThreading::serial);
  pgdx::linalg::set_blas_thread_count(2);
  CHECK(pgdx::linalg::blas_thread_count() == 2);
  pgdx::linalg::set_blas_thread_count(1);
  CHECK(pgdx::linalg::blas_thread_count() == 1);
  pgdx::linalg::set_blas_thread_count(before);
}
