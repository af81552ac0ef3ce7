#include "pgdx/run/run_summary.hpp"

namespace pgdx::run {

std::string to_string(RunStatus status) {
  switch (status) {
    case RunStatus::completed: return "completed";
    case RunStatus::diverged: return "diverged";
    case RunStatus::interrupted: return "interrupted";
    case RunStatus::failed: return "failed";
  }
  return "?";
}

}  // namespace pgdx::run
