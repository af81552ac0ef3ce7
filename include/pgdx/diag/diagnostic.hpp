#pragma once
// A diagnostic adds measurements of the current state to a Record when a step is recorded; the
// trainer runs every diagnostic it was given (run/trainer.hpp), so the loop does not grow an `if`
// per measurement. Recorders (run/recorder.hpp) then consume the finished Record.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "pgdx/util/record.hpp"

namespace pgdx::diag {

// What a diagnostic may look at when a step is recorded. Identical on every rank.
struct Evaluation {
  long step = 0;
  const std::vector<double>& theta;
  const std::vector<double>& theta0;
  const std::vector<double>& train_residual;  // e on the whole training set, task order
  std::size_t phase = 0;            // the run's phase that took this step (0 at step 0)
  long phase_first_step = 1;        // that phase's first step
  long previous_record_step = -1;   // the run's record step before this one (−1 at step 0)
};

// A fixed integer dataset labelling a diagnostic's recorded rows (e.g. /spectral/modes).
struct Axis {
  std::string path;
  std::vector<std::int64_t> values;
};

// What a diagnostic carries from one recording to the next, as named arrays (a checkpoint keeps
// them under /checkpoint/diagnostics/<name>; names are unique across diagnostics).
using DiagnosticState = std::vector<std::pair<std::string, std::vector<double>>>;

class Diagnostic {
 public:
  virtual ~Diagnostic() = default;
  virtual void measure(const Evaluation& state, Record& record) = 0;
  // Axes the run file writes once, before the first record.
  virtual void axes(std::vector<Axis>& /*out*/) const {}
  // Memory between recordings, so a resumed run records what the uninterrupted one does. Most
  // diagnostics measure the current state only and keep nothing.
  virtual void save(DiagnosticState& /*out*/) const {}
  virtual void restore(const DiagnosticState& /*in*/) {}
};

}  // namespace pgdx::diag
