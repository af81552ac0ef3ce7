#pragma once
// Recorders that steer the loop: a periodic checkpoint, and a stop flag set asynchronously (a
// signal handler) that every rank polls after every step, so all ranks stop at the same step.
#include <csignal>

#include "pgdx/parallel/comm.hpp"
#include "pgdx/run/recorder.hpp"

namespace pgdx::run {

// Asks for a checkpoint every `every` steps (run.checkpoint_every).
class CheckpointCadence final : public Recorder {
 public:
  explicit CheckpointCadence(long every) : every_(every) {}
  void on_step(const StepEvent& event, StepRequests& requests) override;

 private:
  long every_;
};

// Asks to stop (with a checkpoint) once the flag is set on any rank, and makes a failure that an
// earlier recorder reported on one rank (StepRequests::failed: rank 0's file) every rank's: one
// MPI_Allreduce(MAX) on an int per step, on every rank. Add it after the recorders it speaks for.
class StopFlagPoller final : public Recorder {
 public:
  StopFlagPoller(const volatile std::sig_atomic_t* flag, parallel::Comm comm) : flag_(flag), comm_(comm) {}
  void on_step(const StepEvent& event, StepRequests& requests) override;

 private:
  const volatile std::sig_atomic_t* flag_;
  parallel::Comm comm_;
};

}  // namespace pgdx::run
