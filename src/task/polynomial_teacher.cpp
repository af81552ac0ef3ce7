#include "pgdx/task/polynomial_teacher.hpp"

#include <cmath>
#include <memory>
#include <stdexcept>

#include "pgdx/task/task_registry.hpp"
#include "pgdx/util/rng.hpp"

namespace pgdx::task {

PolynomialTeacher::PolynomialTeacher(std::size_t input_dim, std::size_t train_points, std::size_t test_points,
                                     std::size_t ray_points, std::uint64_t seed)
    : dim_(input_dim), beta_(input_dim) {
  Rng teacher(seed, Stream::teacher);
  for (double& b : beta_) b = teacher.normal();
  train_ = sample(train_points, seed, Stream::data);
  test_ = sample(test_points, seed, Stream::test);
  rays_.push_back({"train", ray(std::vector<double>(train_.x.col(0), train_.x.col(0) + dim_), ray_points)});
  rays_.push_back({"test", ray(std::vector<double>(dim_, 1.0), ray_points)});
}

double PolynomialTeacher::target(const double* x) const {
  double projection = 0.0;
  for (std::size_t k = 0; k < dim_; ++k) projection += beta_[k] * x[k];
  projection /= std::sqrt(static_cast<double>(dim_));
  return projection * projection;
}

Dataset PolynomialTeacher::sample(std::size_t points, std::uint64_t seed, Stream stream) const {
  Dataset d;
  d.x.resize(dim_, points);
  d.y.resize(1, points);
  Rng rng(seed, stream);
  for (std::size_t j = 0; j < points; ++j) {
    for (std::size_t k = 0; k < dim_; ++k) d.x.col(j)[k] = rng.normal();
    d.y.data()[j] = target(d.x.col(j));
  }
  return d;
}

Dataset PolynomialTeacher::ray(const std::vector<double>& direction, std::size_t points) const {
  Dataset d;
  d.x.resize(dim_, points);
  d.y.resize(1, points);
  for (std::size_t j = 0; j < points; ++j) {
    const double c = static_cast<double>(j) / static_cast<double>(points - 1);
    for (std::size_t k = 0; k < dim_; ++k) d.x.col(j)[k] = c * direction[k];
    d.y.data()[j] = target(d.x.col(j));
  }
  return d;
}

TaskEntry polynomial_teacher_entry() {
  TaskEntry e;
  e.name = "polynomial_teacher";
  e.keys = {{"input_dim", &TaskOptions::input_dim},
            {"train_points", &TaskOptions::train_points},
            {"test_points", &TaskOptions::test_points},
            {"subspace_points", &TaskOptions::subspace_points}};
  e.validate = [](const TaskOptions& o) {
    if (o.subspace_points < 4) throw std::invalid_argument("task.subspace_points: must be >= 4");
  };
  e.dimensions = [](const TaskOptions& o) { return std::pair<std::size_t, std::size_t>{o.input_dim, 1}; };
  e.training_size = [](const TaskOptions& o) { return o.train_points; };
  e.make = [](const TaskOptions& o, std::uint64_t seed) {
    return std::make_unique<PolynomialTeacher>(o.input_dim, o.train_points, o.test_points, o.subspace_points, seed);
  };
  return e;
}

}  // namespace pgdx::task
