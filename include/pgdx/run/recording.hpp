#pragma once
// Observers of the training loop. Diagnostics add measurements to a Record; sinks consume
// finished Records (HDF5 file, progress line). The loop does not grow an `if` per diagnostic.
#include <vector>

#include "pgdx/util/record.hpp"

namespace pgdx::run {

// What a diagnostic may look at when a step is recorded. Identical on every rank.
struct Evaluation {
  long step = 0;
  const std::vector<double>& theta;
  const std::vector<double>& theta0;
  const std::vector<double>& train_residual;  // e = f − y on the whole training set, task order
};

class Diagnostic {
 public:
  virtual ~Diagnostic() = default;
  virtual void measure(const Evaluation& state, Record& record) = 0;
};

class RecordSink {
 public:
  virtual ~RecordSink() = default;
  virtual void on_record(const Record& record) = 0;
};

}  // namespace pgdx::run
