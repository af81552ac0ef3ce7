#pragma once
// Paper Figs. 8 and 12 data (EXPERIMENTS.md §7): all P² ordered pairs (a, b) as token sequences
// [a, '+', b, '='] with vocabulary P + 2 (0 … P−1 the numbers, P '=', P+1 '+'), target
// (a + b) mod P as a one-hot over the whole vocabulary (the model predicts from the last position,
// so its output is a vocabulary-sized logit vector; the tokens '=' and '+' are never targets).
// x is 4 × n (token ids as doubles), y is (P+2) × n. The pairs, in order (0,0), (0,1), …, are
// shuffled with the seed's data stream — the same shuffle as modular_mlp — and the first
// ⌊train_fraction · P²⌋ are the training set (4 704 of 9 409 for P = 97 and 0.5), the rest the
// validation set.
#include <cstdint>

#include "pgdx/task/task.hpp"

namespace pgdx::task {

class ModularAdditionSequence final : public Task {
 public:
  ModularAdditionSequence(std::size_t modulus, double train_fraction, std::uint64_t seed);
  std::string name() const override { return "modular_addition_sequence"; }
  const Dataset& train() const override { return train_; }
  const Dataset* test() const override { return &test_; }
  bool classification() const override { return true; }

  static constexpr std::size_t kSequenceLength = 4;
  static std::size_t vocabulary(std::size_t modulus) { return modulus + 2; }

 private:
  Dataset train_, test_;
};

}  // namespace pgdx::task
