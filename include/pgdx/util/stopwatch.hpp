#pragma once
// Wall-clock laps for the per-phase timings of a step (optim/step_info.hpp).
#include <chrono>

namespace pgdx {

class Stopwatch {
 public:
  Stopwatch() : last_(Clock::now()) {}
  // Seconds since construction or the previous lap.
  double lap() {
    const auto now = Clock::now();
    const double seconds = std::chrono::duration<double>(now - last_).count();
    last_ = now;
    return seconds;
  }

 private:
  using Clock = std::chrono::steady_clock;
  Clock::time_point last_;
};

}  // namespace pgdx
