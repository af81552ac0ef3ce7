#include "pgdx/task/task.hpp"

#include <stdexcept>

#include "pgdx/task/mnist.hpp"
#include "pgdx/task/modular_addition.hpp"
#include "pgdx/task/pinn_poisson.hpp"
#include "pgdx/task/polynomial_teacher.hpp"
#include "pgdx/task/regression1d.hpp"
#include "pgdx/task/regression2d.hpp"

namespace pgdx::task {

void TaskOptions::resolve_defaults() {
  if (points == 0) points = name == "regression2d" ? 40 : 100;
}

void TaskOptions::validate() const {
  if (name != "regression1d" && name != "regression2d" && name != "pinn_poisson" && name != "mnist" &&
      name != "modular_mlp" && name != "polynomial_teacher")
    throw std::invalid_argument(
        "task.name: must be one of regression1d|regression2d|pinn_poisson|mnist|modular_mlp|polynomial_teacher");
  if (points < 4) throw std::invalid_argument("task.points: must be >= 4");
  if (train_per_class < 1) throw std::invalid_argument("task.train_per_class: must be >= 1");
  if (frequency.size() != 2) throw std::invalid_argument("task.frequency: must be two integers [n, m]");
  if (interior_points < 1) throw std::invalid_argument("task.interior_points: must be >= 1");
  if (boundary_points < 4 || boundary_points % 4 != 0)
    throw std::invalid_argument("task.boundary_points: must be a positive multiple of 4 (a quarter per edge)");
  if (solution_grid < 2) throw std::invalid_argument("task.solution_grid: must be >= 2");
  if (modulus < 2) throw std::invalid_argument("task.modulus: must be >= 2");
  if (!(train_fraction > 0.0 && train_fraction < 1.0) ||
      ModularAddition::training_size(modulus, train_fraction) < 1)
    throw std::invalid_argument("task.train_fraction: must be in (0, 1) and leave at least one training pair");
  if (subspace_points < 4) throw std::invalid_argument("task.subspace_points: must be >= 4");
}

std::pair<std::size_t, std::size_t> task_dimensions(const TaskOptions& options) {
  if (options.name == "mnist") return {784, 10};
  if (options.name == "modular_mlp") return {2 * options.modulus, options.modulus};
  if (options.name == "polynomial_teacher") return {options.input_dim, 1};
  if (options.name == "regression2d" || options.name == "pinn_poisson") return {2, 1};
  return {1, 1};
}

std::size_t training_set_size(const TaskOptions& options) {
  if (options.name == "mnist") return 10 * options.train_per_class;
  if (options.name == "modular_mlp") return ModularAddition::training_size(options.modulus, options.train_fraction);
  if (options.name == "regression2d") return options.points * options.points;
  if (options.name == "polynomial_teacher") return options.train_points;
  if (options.name == "pinn_poisson") return options.interior_points + options.boundary_points;
  return options.points;
}

bool is_classification(const TaskOptions& options) {
  return options.name == "mnist" || options.name == "modular_mlp";
}

task::ResidualKind residual_kind(const TaskOptions& options) {
  return options.name == "pinn_poisson" ? task::ResidualKind::laplacian : task::ResidualKind::output_minus_target;
}

std::unique_ptr<Task> make_task(const TaskOptions& options, std::uint64_t seed) {
  if (options.name == "mnist") return std::make_unique<Mnist>(options.data_dir, options.train_per_class, seed);
  if (options.name == "regression2d") return std::make_unique<Regression2d>(options.points);
  if (options.name == "modular_mlp")
    return std::make_unique<ModularAddition>(options.modulus, options.train_fraction, seed);
  if (options.name == "polynomial_teacher")
    return std::make_unique<PolynomialTeacher>(options.input_dim, options.train_points, options.test_points,
                                               options.subspace_points, seed);
  if (options.name == "pinn_poisson")
    return std::make_unique<PinnPoisson>(options.frequency[0], options.frequency[1], options.interior_points,
                                         options.boundary_points, options.solution_grid, seed);
  return std::make_unique<Regression1d>(options.points);
}

}  // namespace pgdx::task
