#pragma once
// Paper Fig. 6 data (EXPERIMENTS.md §5, after Kumar et al.): inputs x ~ N(0, I_D), a teacher
// direction β ~ N(0, I_D), target y(x) = (β·x/√D)². Training inputs come from the seed's data
// stream, test inputs from its test stream and β from its teacher stream, so changing one set's
// size never changes another. Two subspace rays: c·x₀ (x₀ the first training input) and c·(1,…,1).
#include <cstdint>

#include "pgdx/task/task.hpp"
#include "pgdx/util/rng.hpp"

namespace pgdx::task {

class PolynomialTeacher final : public Task {
 public:
  PolynomialTeacher(std::size_t input_dim, std::size_t train_points, std::size_t test_points,
                    std::size_t ray_points, std::uint64_t seed);
  std::string name() const override { return "polynomial_teacher"; }
  const Dataset& train() const override { return train_; }
  const Dataset* test() const override { return &test_; }
  const std::vector<SubspaceRay>& subspace_rays() const override { return rays_; }
  const std::vector<double>& teacher() const { return beta_; }
  double target(const double* x) const;  // (β·x/√D)²

 private:
  Dataset sample(std::size_t points, std::uint64_t seed, Stream stream) const;
  Dataset ray(const std::vector<double>& direction, std::size_t points) const;

  std::size_t dim_;
  std::vector<double> beta_;
  Dataset train_, test_;
  std::vector<SubspaceRay> rays_;
};

}  // namespace pgdx::task
