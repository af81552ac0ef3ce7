#include "pgdx/task/modular_addition.hpp"

#include <cmath>
#include <memory>
#include <numeric>
#include <stdexcept>

#include "pgdx/task/task_registry.hpp"
#include "pgdx/util/rng.hpp"

namespace pgdx::task {

std::size_t ModularAddition::training_size(std::size_t modulus, double train_fraction) {
  return static_cast<std::size_t>(std::floor(train_fraction * static_cast<double>(modulus * modulus)));
}

ModularAddition::ModularAddition(std::size_t p, double train_fraction, std::uint64_t seed) {
  std::vector<std::size_t> pairs(p * p);
  std::iota(pairs.begin(), pairs.end(), std::size_t{0});
  Rng rng(seed, Stream::data);
  rng.shuffle(pairs);
  const std::size_t n_train = training_size(p, train_fraction);
  for (Dataset* set : {&train_, &test_}) {
    const std::size_t n = set == &train_ ? n_train : pairs.size() - n_train;
    set->x.resize(2 * p, n);
    set->y.resize(p, n);
    set->x.fill(0.0);
    set->y.fill(0.0);
  }
  for (std::size_t k = 0; k < pairs.size(); ++k) {
    const std::size_t a = pairs[k] / p, b = pairs[k] % p;
    Dataset& set = k < n_train ? train_ : test_;
    const std::size_t j = k < n_train ? k : k - n_train;
    set.x(a, j) = 1.0;
    set.x(p + b, j) = 1.0;
    set.y((a + b) % p, j) = 1.0;
  }
}

TaskEntry modular_mlp_entry() {
  TaskEntry e;
  e.name = "modular_mlp";
  e.keys = {{"modulus", &TaskOptions::modulus}, {"train_fraction", &TaskOptions::train_fraction}};
  e.resolve_defaults = [](TaskOptions& o) {
    if (o.modulus == 0) o.modulus = 23;
    if (o.train_fraction == 0.0) o.train_fraction = 0.9;
  };
  e.validate = [](const TaskOptions& o) {
    if (o.modulus < 2) throw std::invalid_argument("task.modulus: must be >= 2");
    if (!(o.train_fraction > 0.0 && o.train_fraction < 1.0) ||
        ModularAddition::training_size(o.modulus, o.train_fraction) < 1)
      throw std::invalid_argument("task.train_fraction: must be in (0, 1) and leave at least one training pair");
  };
  e.dimensions = [](const TaskOptions& o) { return std::pair<std::size_t, std::size_t>{2 * o.modulus, o.modulus}; };
  e.training_size = [](const TaskOptions& o) { return ModularAddition::training_size(o.modulus, o.train_fraction); };
  e.classification = true;
  e.make = [](const TaskOptions& o, std::uint64_t seed) {
    return std::make_unique<ModularAddition>(o.modulus, o.train_fraction, seed);
  };
  return e;
}

}  // namespace pgdx::task
