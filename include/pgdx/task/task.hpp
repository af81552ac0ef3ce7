#pragma once
// A task owns the data of one study and says which diagnostics make sense for it.
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "pgdx/task/residual_kind.hpp"
#include "pgdx/task/task_options.hpp"
#include "pgdx/task/dataset.hpp"

namespace pgdx::task {

// Inputs c_j·v on a ray through the origin, c_j = j/(m−1), j = 0 … m−1, with the target there:
// the residual's DFT along it is the subspace spectrum of Fig. 6 (EXPERIMENTS.md §5).
struct SubspaceRay {
  std::string name;  // "train" (v = the first training input) or "test" (v = (1, …, 1))
  Dataset points;
};

class Task {
 public:
  virtual ~Task() = default;
  virtual std::string name() const = 0;
  virtual const Dataset& train() const = 0;
  virtual const Dataset* test() const { return nullptr; }
  // {n} or {nx, ny} when the training inputs are a uniform grid in order (2-D: row-major, x the
  // slow axis), so the residual's DFT is the spectral error of EXPERIMENTS.md §0.6; else {}.
  virtual std::vector<std::size_t> train_grid_shape() const { return {}; }
  // How the residual is formed from the model (loss/residual_operator.hpp).
  virtual task::ResidualKind residual_kind() const { return task::ResidualKind::output_minus_target; }
  // Inputs and the exact solution there, for tasks that know it (the PINN): the L² error.
  virtual const Dataset* reference_solution() const { return nullptr; }
  // Rays whose residual spectrum is recorded (/subspace); empty for most tasks.
  virtual const std::vector<SubspaceRay>& subspace_rays() const {
    static const std::vector<SubspaceRay> none;
    return none;
  }
  // Targets are one-hot classes: accuracy = argmax of the output vs argmax of the target.
  virtual bool classification() const { return false; }
  // The directory the data was read from (task.data_dir found, absolute); empty for generated data.
  virtual std::string data_dir() const { return {}; }
};

// The task options.name names (task_registry.hpp), built for this seed.
std::unique_ptr<Task> make_task(const TaskOptions& options, std::uint64_t seed);

}  // namespace pgdx::task
