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
#include "pgdx/task/dataset.hpp"

namespace pgdx::task {

struct TaskOptions {
  std::string name = "regression1d";
  std::size_t points = 0;            // regression1d: grid size n (100); regression2d: points per axis (40)
  std::size_t train_per_class = 100; // mnist: training digits per class (the rest is the test set)
  std::string data_dir = "data/mnist";  // mnist: the digit files (scripts/fetch_mnist.sh)
  std::vector<std::size_t> frequency = {1, 1};  // pinn_poisson: (n, m) of u = sin(nπx) sin(mπy)
  std::size_t interior_points = 640;  // pinn_poisson: collocation points, uniform in (0,1)²
  std::size_t boundary_points = 40;   // pinn_poisson: a quarter on each edge, uniform along it
  std::size_t solution_grid = 50;     // pinn_poisson: the L² error's grid is this many points per axis
  std::size_t modulus = 23;           // modular_mlp: P of a + b mod P
  double train_fraction = 0.9;        // modular_mlp: share of the P² pairs in the training set
  std::size_t input_dim = 100;        // polynomial_teacher: D
  std::size_t train_points = 450;     // polynomial_teacher: training inputs
  std::size_t test_points = 1000;     // polynomial_teacher: test inputs
  std::size_t subspace_points = 128;  // polynomial_teacher: m points c_j = j/(m−1) on each subspace ray
  // points = 0 → the task's default grid size.
  void resolve_defaults();
  void validate() const;     // throws std::invalid_argument("task.<key>: …")
};

// Input and output widths a model for this task needs (known without loading any data).
std::pair<std::size_t, std::size_t> task_dimensions(const TaskOptions& options);
// Training samples the task will have (also without loading data).
std::size_t training_set_size(const TaskOptions& options);
// Whether the task's targets are one-hot classes (Task::classification, without loading data).
bool is_classification(const TaskOptions& options);
// The residual the task's samples define (Task::residual_kind, without loading data).
task::ResidualKind residual_kind(const TaskOptions& options);

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
};

std::unique_ptr<Task> make_task(const TaskOptions& options, std::uint64_t seed);

}  // namespace pgdx::task
