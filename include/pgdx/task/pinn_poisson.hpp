#pragma once
// Paper Fig. 4 (EXPERIMENTS.md §3): a PINN for −Δu = f on (0,1)², u = 0 on the boundary, with the
// exact solution u* = sin(nπx) sin(mπy), f = (n² + m²)π² u*.
// Training samples: `interior` collocation points uniform in (0,1)², then `boundary` points, a
// quarter on each edge (y = 0, x = 1, y = 1, x = 0) uniform along it — all drawn once from the
// seed's data stream. Each sample's residual is α u + β Δu − y (loss/laplacian_residual.hpp):
// interior (α, β, y) = (0, 1, −f) → Δu + f;  boundary (1, 0, 0) → u.
// The reference solution is u* on a uniform G × G grid of [0,1]² (boundary included).
#include <cstdint>

#include "pgdx/task/task.hpp"

namespace pgdx::task {

class PinnPoisson final : public Task {
 public:
  PinnPoisson(std::size_t n, std::size_t m, std::size_t interior, std::size_t boundary, std::size_t grid,
              std::uint64_t seed);
  std::string name() const override { return "pinn_poisson"; }
  const Dataset& train() const override { return train_; }
  task::ResidualKind residual_kind() const override { return task::ResidualKind::laplacian; }
  const Dataset* reference_solution() const override { return &reference_; }

  double exact(double x, double y) const;   // u*
  double source(double x, double y) const;  // f = −Δu*

 private:
  std::size_t n_, m_;
  Dataset train_, reference_;
};

}  // namespace pgdx::task
