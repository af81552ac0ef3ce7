// Catch2 main for every pgdx test binary: MPI is initialised once (a singleton when run without
// mpirun); only rank 0 reports; the exit code is the worst over ranks; an exception that escapes
// on one rank aborts the job instead of leaving the others waiting in a collective; the BLAS
// kernels are chosen as pgdx chooses them.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <mpi.h>

#include "pgdx/linalg/blas_kernels.hpp"

#include <cstdio>
#include <exception>

int main(int argc, char** argv) {
  pgdx::linalg::reexec_with_matching_blas_kernels(argv);  // the kernels pgdx itself would run
  MPI_Init(&argc, &argv);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  int result = 0;
  try {
    Catch::Session session;
    const int rc = session.applyCommandLine(argc, argv);
    if (rc != 0) {
      MPI_Finalize();
      return rc;
    }
    if (rank != 0) session.configData().outputFilename = "/dev/null";
    // Catch2 v2 returns 0 when a filter matches nothing; a ctest entry must not pass that way.
    const Catch::Config& config = session.config();
    const bool listing = config.listTests() || config.listTestNamesOnly() || config.listTags();
    if (!listing && config.testSpec().hasFilters() &&
        Catch::filterTests(Catch::getAllTestCasesSorted(config), config.testSpec(), config).empty()) {
      if (rank == 0) std::fprintf(stderr, "no test case matches the given name or tags\n");
      result = 1;
    } else {
      result = session.run();
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rank %d: uncaught exception: %s\n", rank, e.what());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  int worst = 0;
  MPI_Allreduce(&result, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  MPI_Finalize();
  return worst;
}
