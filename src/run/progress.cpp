#include "pgdx/run/progress.hpp"

#include <algorithm>
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

// `value` in printf format `format` ("%.6e"), or "-" when the column has no value for this line.
std::string cell(bool has_value, const char* format, double value) {
  if (!has_value) return "-";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, format, value);
  return buffer;
}

// The methods whose steps report a damping μ (/history/mu): LM and GGN. SGD, Adam(W) and GN
// (a spectral cut-off instead) have none.
bool reports_damping(optim::Method method) { return method == optim::Method::lm || method == optim::Method::ggn; }

long phase_of(const Record& record) {
  for (const auto& [name, value] : record.integers)
    if (name == "phase") return static_cast<long>(value);
  return 0;  // single-phase runs record no phase column
}

}  // namespace

ProgressPrinter::ProgressPrinter(long total_steps, long every, const std::vector<Phase>& phases, std::FILE* out)
    : total_(total_steps), every_(every > 0 ? every : std::max(1L, total_steps / 20)), out_(out) {
  for (const Phase& phase : phases) damped_.push_back(reports_damping(phase.optimizer.method));
}

void ProgressPrinter::begin(const RunHeader& header) { has_test_set_ = header.task.test() != nullptr; }

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
  const bool has_rate = step > first_step_ && elapsed > 0;
  const double rate = has_rate ? static_cast<double>(step - first_step_) / elapsed : 0.0;
  const long phase = phase_of(record);
  const bool has_mu = step > 0 && phase >= 0 && static_cast<std::size_t>(phase) < damped_.size() && damped_[phase];
  char steps[32];
  std::snprintf(steps, sizeof steps, "%ld/%ld", step, total_);
  std::fprintf(out_, "%10s %13s %13s %10s %10s %10s\n", steps, cell(true, "%.6e", record.real("train_loss")).c_str(),
               cell(has_test_set_, "%.6e", record.real("test_loss")).c_str(),
               cell(has_mu, "%.3e", record.real("mu")).c_str(), cell(has_rate, "%.1f", rate).c_str(),
               format_eta(has_rate ? static_cast<double>(total_ - step) / rate : NAN).c_str());
  std::fflush(out_);
  last_printed_ = step;
}

void ProgressPrinter::on_phase_end(const PhaseEnd& phase_end) {
  std::fprintf(out_, "  phase %zu ends after step %ld (of at most %ld): %s\n", phase_end.phase, phase_end.step,
               phase_end.planned_step, phase_end.reason.c_str());
  std::fflush(out_);
}

}  // namespace pgdx::run
