// The choice of OpenBLAS kernels: a generic core on a CPU with wider vector units is replaced,
// a matching or unknown one is left alone, and this process runs what blas_core_name() says.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>

#include "pgdx/linalg/blas.hpp"
#include "pgdx/linalg/blas_kernels.hpp"

using pgdx::linalg::better_blas_core;
using pgdx::linalg::CpuVectorUnits;

TEST_CASE("blas kernels: a generic core on an AVX-512 or AVX2 CPU gets the matching kernels") {
  const CpuVectorUnits avx512{true, true};
  const CpuVectorUnits avx2{true, false};
  const CpuVectorUnits sse_only{false, false};
  CHECK(better_blas_core("Prescott", avx512).value_or("") == "SkylakeX");
  CHECK(better_blas_core("Nehalem", avx512).value_or("") == "SkylakeX");
  CHECK(better_blas_core("Prescott", avx2).value_or("") == "Haswell");
  CHECK(better_blas_core("Sandybridge", avx2).value_or("") == "Haswell");
  CHECK_FALSE(better_blas_core("Prescott", sse_only).has_value());
}

TEST_CASE("blas kernels: a core OpenBLAS chose to match the CPU is left alone") {
  const CpuVectorUnits avx512{true, true};
  for (const char* core : {"SkylakeX", "Cooperlake", "SapphireRapids", "Haswell", "Zen", "unknown"})
    CHECK_FALSE(better_blas_core(core, avx512).has_value());
}

TEST_CASE("blas kernels: this process runs kernels that match its CPU unless OPENBLAS_CORETYPE says otherwise") {
  const std::string core = pgdx::linalg::blas_core_name();
  INFO("OpenBLAS core " << core << ", description " << pgdx::linalg::blas_core_description());
  CHECK_FALSE(core.empty());
  if (std::getenv("OPENBLAS_CORETYPE") == nullptr)  // the test main re-executes itself as pgdx does
    CHECK_FALSE(better_blas_core(core, pgdx::linalg::detect_cpu_vector_units()).has_value());
  CHECK(pgdx::linalg::blas_core_description().rfind(core, 0) == 0);
}
