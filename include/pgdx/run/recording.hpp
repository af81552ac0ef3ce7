#pragma once
// Observers of the training loop. Diagnostics add measurements to a Record; sinks consume
// finished Records (HDF5 file, progress line). The loop does not grow an `if` per diagnostic.
#include <cstdint>
#include <string>
#include <vector>

#include "pgdx/util/record.hpp"

namespace pgdx::run {

// What a diagnostic may look at when a step is recorded. Identical on every rank.
struct Evaluation {
  long step = 0;
  const std::vector<double>& theta;
  const std::vector<double>& theta0;
  const std::vector<double>& train_residual;  // e on the whole training set, task order
};

// A fixed integer dataset labelling a diagnostic's recorded rows (e.g. /spectral/modes).
struct Axis {
  std::string path;
  std::vector<std::int64_t> values;
};

class Diagnostic {
 public:
  virtual ~Diagnostic() = default;
  virtual void measure(const Evaluation& state, Record& record) = 0;
  // Axes the run file writes once, before the first record.
  virtual void axes(std::vector<Axis>& /*out*/) const {}
};

class RecordSink {
 public:
  virtual ~RecordSink() = default;
  virtual void on_record(const Record& record) = 0;
};

}  // namespace pgdx::run
