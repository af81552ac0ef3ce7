#pragma once
// Fixed-width progress lines on rank 0 (step, losses, μ, steps/s, ETA), line-oriented so Slurm
// output files read well. A column this run has no value for prints "-" (no test set; no μ for a
// step of an optimizer without damping, or step 0; no rate on the first line); "nan" is left for
// values that are not numbers (a diverged loss).
#include <chrono>
#include <cstdio>
#include <vector>

#include "pgdx/run/recorder.hpp"
#include "pgdx/run/trainer_options.hpp"

namespace pgdx::run {

class ProgressPrinter final : public Recorder {
 public:
  // Prints at most every `every` steps (0: about 20 lines per run), always the first and last.
  // `phases` are the run's (their optimizers say which steps have a μ).
  ProgressPrinter(long total_steps, long every, const std::vector<Phase>& phases, std::FILE* out = stdout);
  void begin(const RunHeader& header) override;
  void on_record(const Record& record) override;
  void on_phase_end(const PhaseEnd& phase_end) override;

 private:
  long total_;
  long every_;
  std::vector<bool> damped_;  // per phase: its optimizer reports a damping μ
  bool has_test_set_ = true;
  long last_printed_ = -1;
  std::FILE* out_;
  // Rates count from the first record this process printed: a resumed run starts mid-way.
  long first_step_ = -1;
  std::chrono::steady_clock::time_point first_time_;
};

}  // namespace pgdx::run
