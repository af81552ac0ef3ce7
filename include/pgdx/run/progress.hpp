#pragma once
// Fixed-width progress lines on rank 0 (step, losses, μ, steps/s, ETA), line-oriented so Slurm
// output files read well.
#include <chrono>
#include <cstdio>

#include "pgdx/run/recorder.hpp"

namespace pgdx::run {

class ProgressPrinter final : public Recorder {
 public:
  // Prints at most every `every` steps (0: about 20 lines per run), always the first and last.
  ProgressPrinter(long total_steps, long every, std::FILE* out = stdout);
  void on_record(const Record& record) override;
  void on_phase_end(const PhaseEnd& phase_end) override;

 private:
  long total_;
  long every_;
  long last_printed_ = -1;
  std::FILE* out_;
  // Rates count from the first record this process printed: a resumed run starts mid-way.
  long first_step_ = -1;
  std::chrono::steady_clock::time_point first_time_;
};

}  // namespace pgdx::run
