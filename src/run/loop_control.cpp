#include "pgdx/run/loop_control.hpp"

namespace pgdx::run {

void CheckpointCadence::on_step(const StepEvent& event, StepRequests& requests) {
  if (every_ > 0 && event.step % every_ == 0) requests.checkpoint = true;
}

void StopFlagPoller::on_step(const StepEvent&, StepRequests& requests) {
  // 2: a write failed somewhere (wins: no checkpoint can be written); 1: a stop was asked for.
  const int mine = requests.failed ? 2 : flag_ != nullptr && *flag_ != 0 ? 1 : 0;
  const int all = comm_.allreduce_max(mine);
  if (all == 2) {
    requests.failed = true;
  } else if (all == 1) {
    requests.stop = true;
    requests.checkpoint = true;
  }
}

}  // namespace pgdx::run
