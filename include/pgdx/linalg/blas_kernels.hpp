#pragma once
// Which OpenBLAS kernels run, and a correction for CPUs newer than the installed OpenBLAS.
//
// OpenBLAS (a DYNAMIC_ARCH build, as Debian ships) chooses its kernels from the CPU's family and
// model when the library loads. Debian 12's 0.3.21 does not know e.g. Intel family 6 model 207 and
// falls back to its generic Prescott (SSE3) kernels: 10 GFLOP/s dgemm per core instead of 68 with
// the SkylakeX ones the same core runs (docs/performance.md). The choice cannot be changed once the
// library is loaded, only through OPENBLAS_CORETYPE before it loads — hence a re-exec at startup.
#include <optional>
#include <string>
#include <string_view>

namespace pgdx::linalg {

// The kernel family OpenBLAS uses in this process ("SkylakeX", "Haswell", "Prescott", ...).
std::string blas_core_name();

struct CpuVectorUnits {
  bool avx2_fma = false;        // AVX2 and FMA3
  bool avx512 = false;          // AVX-512 F, BW, DQ and VL (what OpenBLAS's SkylakeX kernels use)
};

CpuVectorUnits detect_cpu_vector_units();

// The kernels OpenBLAS should use instead of `current_core`, if it chose kernels older than the CPU
// supports (a generic pre-AVX2 family on an AVX2 or AVX-512 CPU); nothing if its choice is fine.
std::optional<std::string> better_blas_core(std::string_view current_core, const CpuVectorUnits& cpu);

// Called first thing in main(): when OPENBLAS_CORETYPE is unset and better_blas_core() names
// kernels, sets OPENBLAS_CORETYPE (and PGDX_BLAS_CORE_REASON, for the run header) and executes
// this program again with the same arguments. Returns when nothing is to be done or exec fails.
// Setting OPENBLAS_CORETYPE yourself (any value) turns this off.
void reexec_with_matching_blas_kernels(char** argv);

// Why the kernels are what they are, for progress output and run files: "SkylakeX" or
// "SkylakeX (set by pgdx: OpenBLAS chose Prescott on this AVX-512 CPU)".
std::string blas_core_description();

}  // namespace pgdx::linalg
