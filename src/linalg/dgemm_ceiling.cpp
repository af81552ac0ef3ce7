#include "pgdx/linalg/dgemm_ceiling.hpp"

#include <algorithm>
#include <chrono>
#include <vector>

#include "pgdx/linalg/blas.hpp"
#include "pgdx/linalg/blas_threads.hpp"

namespace pgdx::linalg {

double measure_dgemm_gflops(int n, int repeats) {
  using Clock = std::chrono::steady_clock;
  Matrix a(n, n, 1.0), b(n, n, 0.5), c(n, n);
  std::vector<double> rates;
  // One core's rate: on one thread, whatever count the run uses (restored after).
  const int threads = blas_thread_count();
  set_blas_thread_count(1);
  for (int rep = 0; rep < repeats; ++rep) {
    const auto t0 = Clock::now();
    gemm(Op::none, Op::none, 1.0, a, b, 0.0, c);
    const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    rates.push_back(2.0 * n * double(n) * n / seconds / 1e9);
  }
  set_blas_thread_count(threads);
  std::sort(rates.begin(), rates.end());
  return rates.empty() ? 0.0 : rates[rates.size() / 2];
}

}  // namespace pgdx::linalg
