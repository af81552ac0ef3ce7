#include "pgdx/linalg/blas_kernels.hpp"

#include <cblas.h>
#include <unistd.h>

#include <array>
#include <cstdlib>

namespace pgdx::linalg {
namespace {

// OpenBLAS core families whose kernels use neither AVX2 nor AVX-512 (driver/others/dynamic.c).
constexpr std::array<std::string_view, 14> kPreAvx2Cores = {
    "Prescott", "Core2",  "Penryn", "Dunnington", "Nehalem", "Atom",   "Sandybridge",
    "Katmai",   "Northwood", "Banias", "Opteron",  "Opteron_SSE3", "Barcelona", "Bobcat"};

constexpr const char* kReasonVariable = "PGDX_BLAS_CORE_REASON";

}  // namespace

std::string blas_core_name() {
  const char* name = openblas_get_corename();
  return name ? std::string(name) : std::string("unknown");
}

CpuVectorUnits detect_cpu_vector_units() {
  CpuVectorUnits cpu;
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  cpu.avx2_fma = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  cpu.avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
#endif
  return cpu;
}

std::optional<std::string> better_blas_core(std::string_view current_core, const CpuVectorUnits& cpu) {
  bool generic = false;
  for (std::string_view core : kPreAvx2Cores) generic = generic || core == current_core;
  if (!generic) return std::nullopt;
  if (cpu.avx512) return std::string("SkylakeX");
  if (cpu.avx2_fma) return std::string("Haswell");
  return std::nullopt;
}

void reexec_with_matching_blas_kernels(char** argv) {
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr) return;  // the user's (or our earlier) choice
  const CpuVectorUnits cpu = detect_cpu_vector_units();
  const std::string current = blas_core_name();
  const std::optional<std::string> better = better_blas_core(current, cpu);
  if (!better) return;
  const std::string reason = "set by pgdx: OpenBLAS chose " + current + " on this " +
                             (cpu.avx512 ? "AVX-512" : "AVX2") + " CPU";
  setenv("OPENBLAS_CORETYPE", better->c_str(), 1);
  setenv(kReasonVariable, reason.c_str(), 1);
  execv("/proc/self/exe", argv);
  // exec failed (no /proc?): carry on with the generic kernels, and say nothing false about them.
  unsetenv("OPENBLAS_CORETYPE");
  unsetenv(kReasonVariable);
}

std::string blas_core_description() {
  std::string description = blas_core_name();
  const char* requested = std::getenv("OPENBLAS_CORETYPE");
  const char* reason = std::getenv(kReasonVariable);
  if (requested && reason) description += std::string(" (") + reason + ")";
  else if (requested) description += std::string(" (OPENBLAS_CORETYPE=") + requested + ")";
  return description;
}

}  // namespace pgdx::linalg
