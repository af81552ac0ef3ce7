#include "pgdx/task/modular_addition_sequence.hpp"

#include <memory>
#include <numeric>
#include <stdexcept>

#include "pgdx/task/modular_addition.hpp"
#include "pgdx/task/task_registry.hpp"
#include "pgdx/util/rng.hpp"

namespace pgdx::task {

ModularAdditionSequence::ModularAdditionSequence(std::size_t p, double train_fraction, std::uint64_t seed) {
  std::vector<std::size_t> pairs(p * p);
  std::iota(pairs.begin(), pairs.end(), std::size_t{0});
  Rng rng(seed, Stream::data);
  rng.shuffle(pairs);
  const std::size_t n_train = ModularAddition::training_size(p, train_fraction);
  const double equals = static_cast<double>(p), plus = static_cast<double>(p + 1);
  for (Dataset* set : {&train_, &test_}) {
    const std::size_t n = set == &train_ ? n_train : pairs.size() - n_train;
    set->x.resize(kSequenceLength, n);
    set->y.resize(vocabulary(p), n);
    set->y.fill(0.0);
  }
  for (std::size_t k = 0; k < pairs.size(); ++k) {
    const std::size_t a = pairs[k] / p, b = pairs[k] % p;
    Dataset& set = k < n_train ? train_ : test_;
    const std::size_t j = k < n_train ? k : k - n_train;
    set.x(0, j) = static_cast<double>(a);
    set.x(1, j) = plus;
    set.x(2, j) = static_cast<double>(b);
    set.x(3, j) = equals;
    set.y((a + b) % p, j) = 1.0;
  }
}

TaskEntry modular_addition_sequence_entry() {
  TaskEntry e;
  e.name = "modular_addition_sequence";
  e.keys = {{"modulus", &TaskOptions::modulus}, {"train_fraction", &TaskOptions::train_fraction}};
  e.resolve_defaults = [](TaskOptions& o) {
    if (o.modulus == 0) o.modulus = 97;
    if (o.train_fraction == 0.0) o.train_fraction = 0.5;
  };
  e.validate = [](const TaskOptions& o) {
    if (o.modulus < 2) throw std::invalid_argument("task.modulus: must be >= 2");
    if (!(o.train_fraction > 0.0 && o.train_fraction < 1.0) ||
        ModularAddition::training_size(o.modulus, o.train_fraction) < 1)
      throw std::invalid_argument("task.train_fraction: must be in (0, 1) and leave at least one training pair");
  };
  e.dimensions = [](const TaskOptions& o) {
    return std::pair<std::size_t, std::size_t>{ModularAdditionSequence::kSequenceLength,
                                               ModularAdditionSequence::vocabulary(o.modulus)};
  };
  e.training_size = [](const TaskOptions& o) { return ModularAddition::training_size(o.modulus, o.train_fraction); };
  e.classification = true;
  e.token_sequence = true;
  e.make = [](const TaskOptions& o, std::uint64_t seed) {
    return std::make_unique<ModularAdditionSequence>(o.modulus, o.train_fraction, seed);
  };
  return e;
}

}  // namespace pgdx::task
