#include "pgdx/run/loop_control.hpp"

namespace pgdx::run {

void CheckpointCadence::on_step(const StepEvent& event, StepRequests& requests) {
  if (every_ > 0 && event.step % every_ == 0) requests.checkpoint = true;
}

void StopFlagPoller::on_step(const StepEvent&, StepRequests& requests) {
  const int mine = flag_ != nullptr && *flag_ != 0 ? 1 : 0;
  if (comm_.allreduce_max(mine) != 0) {
    requests.stop = true;
    requests.checkpoint = true;
  }
}

}  // namespace pgdx::run
