#pragma once
// OpenBLAS's thread pool: how it was built to thread and how many threads each BLAS call may use.
// The one place that calls OpenBLAS's runtime thread API (openblas_get_parallel,
// openblas_get/set_num_threads); the choice of the count is parallel/blas_thread_choice.hpp's.
namespace pgdx::linalg {

// How the linked OpenBLAS runs a call on several cores. Debian's default (the `openblas-pthread`
// alternative) is pthreads, which reads OPENBLAS_NUM_THREADS, then GOTO_NUM_THREADS, then
// OMP_NUM_THREADS when it loads; a serial build always uses one thread.
enum class BlasThreading { serial, pthreads, openmp };

BlasThreading blas_threading();
const char* to_string(BlasThreading threading);

// Threads a BLAS call may use now.
int blas_thread_count();

// Sets it for every later call of this process. OpenBLAS caps the count at the MAX_THREADS it was
// built with (64 in Debian's) but not at the CPUs the process may run on; a serial build ignores
// it. Read blas_thread_count() for what took effect.
void set_blas_thread_count(int threads);

}  // namespace pgdx::linalg
