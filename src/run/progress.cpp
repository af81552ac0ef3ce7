#include "pgdx/run/progress.hpp"

#include <cmath>
#include <string>

namespace pgdx::run {
namespace {

std::string format_eta(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "-";
  const long s = static_cast<long>(seconds + 0.5);
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  return buffer;
}

}  // namespace

ProgressPrinter::ProgressPrinter(long total_steps, long every, std::FILE* out)
    : total_(total_steps), every_(every > 0 ? every : std::max(1L, total_steps / 20)), out_(out) {}

void ProgressPrinter::on_record(const Record& record) {
  const long step = record.step;
  const bool due = last_printed_ < 0 || step - last_printed_ >= every_ || step == total_;
  if (!due) return;
  const auto now = std::chrono::steady_clock::now();
  if (last_printed_ < 0) {
    std::fprintf(out_, "%10s %13s %13s %10s %10s %10s\n", "step", "train_loss", "test_loss", "mu", "steps/s", "ETA");
    first_step_ = step;
    first_time_ = now;
  }
  const double elapsed = std::chrono::duration<double>(now - first_time_).count();
  const double rate = step > first_step_ && elapsed > 0 ? static_cast<double>(step - first_step_) / elapsed : NAN;
  const double eta = std::isfinite(rate) ? static_cast<double>(total_ - step) / rate : NAN;
  char steps[32];
  std::snprintf(steps, sizeof steps, "%ld/%ld", step, total_);
  std::fprintf(out_, "%10s %13.6e %13.6e %10.3e %10.1f %10s\n", steps, record.real("train_loss"),
               record.real("test_loss"), record.real("mu"), rate, format_eta(eta).c_str());
  std::fflush(out_);
  last_printed_ = step;
}

void ProgressPrinter::on_phase_end(const PhaseEnd& phase_end) {
  std::fprintf(out_, "  phase %zu ends after step %ld (of at most %ld): %s\n", phase_end.phase, phase_end.step,
               phase_end.planned_step, phase_end.reason.c_str());
  std::fflush(out_);
}

}  // namespace pgdx::run
