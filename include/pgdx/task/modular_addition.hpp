#pragma once
// Paper Fig. 5 data (EXPERIMENTS.md §4): all P² ordered pairs (a, b), a, b ∈ {0 … P−1}; input
// [onehot(a); onehot(b)] ∈ {0,1}^{2P}, target onehot((a + b) mod P). The pairs, in order
// (a, b) = (0,0), (0,1), …, are shuffled with the seed's data stream; the first
// ⌊train_fraction · P²⌋ are the training set (476 of 529 for P = 23 and 0.9), the rest the test set.
#include <cstdint>

#include "pgdx/task/task.hpp"

namespace pgdx::task {

class ModularAddition final : public Task {
 public:
  ModularAddition(std::size_t modulus, double train_fraction, std::uint64_t seed);
  std::string name() const override { return "modular_mlp"; }
  const Dataset& train() const override { return train_; }
  const Dataset* test() const override { return &test_; }
  bool classification() const override { return true; }

  static std::size_t training_size(std::size_t modulus, double train_fraction);

 private:
  Dataset train_, test_;
};

}  // namespace pgdx::task
