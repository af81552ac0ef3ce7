#pragma once
// The task.* keys of a run. One struct holds every task's fields, but each task reads only the
// keys its registry entry declares (task_registry.hpp): a key of another task is an error.
#include <cstddef>
#include <string>
#include <vector>

namespace pgdx::task {

struct TaskOptions {
  std::string name = "regression1d";
  std::size_t points = 0;            // regression1d: grid size n (100); regression2d: points per axis (40)
  std::size_t train_per_class = 100; // mnist: training digits per class (the rest is the test set)
  // mnist: the digit files (scripts/fetch_mnist.sh); where a relative path is looked for: task/data_dir.hpp
  std::string data_dir = "data/mnist";
  std::vector<std::size_t> frequency = {1, 1};  // pinn_poisson: (n, m) of u = sin(nπx) sin(mπy)
  std::size_t interior_points = 640;  // pinn_poisson: collocation points, uniform in (0,1)²
  std::size_t boundary_points = 40;   // pinn_poisson: a quarter on each edge, uniform along it
  std::size_t solution_grid = 50;     // pinn_poisson: the L² error's grid is this many points per axis
  // modular_mlp, modular_addition_sequence: P of a + b mod P, and the share of the P² pairs in the
  // training set; 0 = the task's default (23 and 0.9; 97 and 0.5).
  std::size_t modulus = 0;
  double train_fraction = 0.0;
  std::size_t input_dim = 100;        // polynomial_teacher: D
  std::size_t train_points = 450;     // polynomial_teacher: training inputs
  std::size_t test_points = 1000;     // polynomial_teacher: test inputs
  std::size_t subspace_points = 128;  // polynomial_teacher: m points c_j = j/(m−1) on each subspace ray
  // Not a key: the job file the options were read from (the config reader sets it). A relative
  // data_dir is looked for from its directory, and a data_dir not found is reported against it.
  std::string job_file;
};

}  // namespace pgdx::task
