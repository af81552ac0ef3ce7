#include "pgdx/task/pinn_poisson.hpp"

#include <cmath>
#include <memory>
#include <stdexcept>

#include "pgdx/task/grid.hpp"
#include "pgdx/task/task_registry.hpp"
#include "pgdx/util/rng.hpp"

namespace pgdx::task {

PinnPoisson::PinnPoisson(std::size_t n, std::size_t m, std::size_t interior, std::size_t boundary,
                         std::size_t grid, std::uint64_t seed)
    : n_(n), m_(m) {
  const std::size_t total = interior + boundary;
  train_.x.resize(2, total);
  train_.y.resize(1, total);
  train_.coefficients.resize(2, total);
  Rng rng(seed, Stream::data);
  for (std::size_t j = 0; j < interior; ++j) {
    const double x = rng.uniform(), y = rng.uniform();
    train_.x(0, j) = x;
    train_.x(1, j) = y;
    train_.y(0, j) = -source(x, y);
    train_.coefficients(0, j) = 0.0;
    train_.coefficients(1, j) = 1.0;
  }
  const std::size_t per_edge = boundary / 4;
  for (std::size_t i = 0; i < boundary; ++i) {
    const std::size_t j = interior + i;
    const double t = rng.uniform();
    const std::size_t edge = i / per_edge;  // 0: y = 0, 1: x = 1, 2: y = 1, 3: x = 0
    train_.x(0, j) = edge == 0 || edge == 2 ? t : (edge == 1 ? 1.0 : 0.0);
    train_.x(1, j) = edge == 1 || edge == 3 ? t : (edge == 2 ? 1.0 : 0.0);
    train_.y(0, j) = 0.0;
    train_.coefficients(0, j) = 1.0;
    train_.coefficients(1, j) = 0.0;
  }
  reference_.x = uniform_grid_2d(grid);
  reference_.y.resize(1, reference_.x.cols());
  for (std::size_t j = 0; j < reference_.x.cols(); ++j) reference_.y(0, j) = exact(reference_.x(0, j), reference_.x(1, j));
}

double PinnPoisson::exact(double x, double y) const {
  return std::sin(static_cast<double>(n_) * M_PI * x) * std::sin(static_cast<double>(m_) * M_PI * y);
}

double PinnPoisson::source(double x, double y) const {
  const double k2 = static_cast<double>(n_ * n_ + m_ * m_) * M_PI * M_PI;
  return k2 * exact(x, y);
}

TaskEntry pinn_poisson_entry() {
  TaskEntry e;
  e.name = "pinn_poisson";
  e.keys = {{"frequency", &TaskOptions::frequency},
            {"interior_points", &TaskOptions::interior_points},
            {"boundary_points", &TaskOptions::boundary_points},
            {"solution_grid", &TaskOptions::solution_grid}};
  e.validate = [](const TaskOptions& o) {
    if (o.frequency.size() != 2) throw std::invalid_argument("task.frequency: must be two integers [n, m]");
    if (o.interior_points < 1) throw std::invalid_argument("task.interior_points: must be >= 1");
    if (o.boundary_points < 4 || o.boundary_points % 4 != 0)
      throw std::invalid_argument("task.boundary_points: must be a positive multiple of 4 (a quarter per edge)");
    if (o.solution_grid < 2) throw std::invalid_argument("task.solution_grid: must be >= 2");
  };
  e.dimensions = [](const TaskOptions&) { return std::pair<std::size_t, std::size_t>{2, 1}; };
  e.training_size = [](const TaskOptions& o) { return o.interior_points + o.boundary_points; };
  e.residual_kind = ResidualKind::laplacian;
  e.make = [](const TaskOptions& o, std::uint64_t seed) {
    return std::make_unique<PinnPoisson>(o.frequency[0], o.frequency[1], o.interior_points, o.boundary_points,
                                         o.solution_grid, seed);
  };
  return e;
}

}  // namespace pgdx::task
