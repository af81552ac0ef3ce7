#pragma once
// Observers of the training loop, with a lifecycle:
// begin → (on_step, on_record, on_checkpoint, on_phase_end)* → end. Everything that watches a run
// is one: the HDF5 run file (io/run_file.hpp), progress lines, the checkpoint cadence, signal
// polling, test hooks. The Trainer calls them in the order they were added; every rank has its own
// list (rank 0 the file, every rank the signal poller), and calls that communicate must be made
// alike on every rank.
#include <string>
#include <vector>

#include "pgdx/diag/diagnostic.hpp"
#include "pgdx/model/model.hpp"
#include "pgdx/optim/step_info.hpp"
#include "pgdx/run/checkpoint.hpp"
#include "pgdx/run/run_summary.hpp"
#include "pgdx/task/task.hpp"
#include "pgdx/util/record.hpp"

namespace pgdx::run {

// What a recorder may need before the first step.
struct RunHeader {
  const model::Model& model;         // θ₀ now, the final θ at end()
  const task::Task& task;
  int ranks = 1;
  std::vector<diag::Axis> axes;      // fixed datasets labelling the diagnostics' rows
  long resumed_from_step = -1;       // ≥ 0: continuing after this checkpoint step
};

// After every optimizer step (recorded or not), on every rank.
struct StepEvent {
  long step = 0;
  long last_step = 0;                // the run's last step
  const optim::StepInfo& info;
  double seconds = 0.0;              // wall time of the optimizer step
};

// What recorders may ask of the loop after a step; the loop honours them before the next one.
struct StepRequests {
  bool checkpoint = false;  // write a checkpoint now (ignored after the last step)
  bool stop = false;        // end the run `interrupted` after checkpointing
  bool failed = false;      // a recorder cannot go on (a write failed): end the run `failed`, no checkpoint
};

// A phase ended by its `until` test (run/phase_condition.hpp), before its configured last step.
struct PhaseEnd {
  std::size_t phase = 0;
  long step = 0;                      // its last step
  long planned_step = 0;              // where it would have ended
  std::string reason;                 // which tests held, with the values
  const std::vector<long>& end_steps; // every phase's cumulative end step, as they now stand
};

class Recorder {
 public:
  virtual ~Recorder() = default;
  virtual void begin(const RunHeader& /*header*/) {}
  virtual void on_step(const StepEvent& /*event*/, StepRequests& /*requests*/) {}
  virtual void on_record(const Record& /*record*/) {}
  virtual void on_checkpoint(const Checkpoint& /*checkpoint*/) {}
  virtual void on_phase_end(const PhaseEnd& /*phase_end*/) {}
  virtual void end(const RunSummary& /*summary*/) {}
};

}  // namespace pgdx::run
