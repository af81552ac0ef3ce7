#pragma once
// Timing helpers shared by the `pgdx bench` commands.
#include <algorithm>
#include <chrono>
#include <vector>

namespace pgdx::app {

using BenchClock = std::chrono::steady_clock;

inline double seconds_since(BenchClock::time_point t0) {
  return std::chrono::duration<double>(BenchClock::now() - t0).count();
}

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

}  // namespace pgdx::app
