#include "pgdx/linalg/blas_threads.hpp"

#include <cblas.h>

namespace pgdx::linalg {

BlasThreading blas_threading() {
  switch (openblas_get_parallel()) {  // OpenBLAS's own codes: 0 sequential, 1 pthreads, 2 OpenMP
    case 0: return BlasThreading::serial;
    case 2: return BlasThreading::openmp;
    default: return BlasThreading::pthreads;
  }
}

const char* to_string(BlasThreading threading) {
  switch (threading) {
    case BlasThreading::serial: return "serial";
    case BlasThreading::pthreads: return "pthreads";
    case BlasThreading::openmp: return "openmp";
  }
  return "pthreads";
}

int blas_thread_count() { return openblas_get_num_threads(); }

void set_blas_thread_count(int threads) { openblas_set_num_threads(threads); }

}  // namespace pgdx::linalg
