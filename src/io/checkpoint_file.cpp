#include "pgdx/io/checkpoint_file.hpp"

#include <cstring>
#include <stdexcept>

#include "pgdx/run/grokking.hpp"
#include "pgdx/util/errors.hpp"

namespace pgdx::io {
namespace {

// uint64 words (RNG state, indices) stored as int64 bit patterns: exact.
std::vector<std::int64_t> as_int64(const std::uint64_t* words, std::size_t n) {
  std::vector<std::int64_t> out(n);
  if (n > 0) std::memcpy(out.data(), words, n * sizeof(std::uint64_t));  // data() may be null when empty
  return out;
}

}  // namespace

void write_checkpoint(H5File& f, const run::Checkpoint& c) {
  f.remove("/checkpoint");
  f.write("/checkpoint/step", std::vector<std::int64_t>{c.step}, {1});
  f.write("/checkpoint/elapsed_seconds", std::vector<double>{c.elapsed_seconds}, {1});
  f.write("/checkpoint/params", c.params, {c.params.size()});
  f.write("/checkpoint/minibatch_rng", as_int64(c.minibatch_rng.data(), c.minibatch_rng.size()), {6});
  std::vector<std::uint64_t> order(c.epoch_order.begin(), c.epoch_order.end());
  f.write("/checkpoint/epoch_order", as_int64(order.data(), order.size()), {order.size()});
  f.write("/checkpoint/epoch_position", std::vector<std::int64_t>{static_cast<std::int64_t>(c.epoch_position)}, {1});
  for (const auto& [name, values] : c.optimizer) f.write("/checkpoint/optimizer/" + name, values, {values.size()});
  if (c.optimizer.empty()) f.write("/checkpoint/optimizer/none", std::vector<double>{}, {0});
  if (!c.grokking.empty()) f.write("/checkpoint/grokking", c.grokking, {c.grokking.size()});
  f.flush();
}

bool has_checkpoint(const H5File& f) { return f.exists("/checkpoint/step"); }

run::Checkpoint read_checkpoint(const H5File& f, double grokking_test_accuracy) {
  if (!has_checkpoint(f)) throw DataError(f.path(), "no /checkpoint to resume from");
  try {
    run::Checkpoint c;
    c.step = static_cast<long>(f.read_integers("/checkpoint/step").at(0));
    c.elapsed_seconds = f.read_reals("/checkpoint/elapsed_seconds").at(0);
    c.params = f.read_reals("/checkpoint/params");
    const auto rng = f.read_integers("/checkpoint/minibatch_rng");
    if (rng.size() != 6) throw std::runtime_error("minibatch_rng must hold 6 words");
    std::memcpy(c.minibatch_rng.data(), rng.data(), sizeof c.minibatch_rng);
    for (std::int64_t v : f.read_integers("/checkpoint/epoch_order")) c.epoch_order.push_back(static_cast<std::size_t>(v));
    c.epoch_position = static_cast<std::size_t>(f.read_integers("/checkpoint/epoch_position").at(0));
    for (const std::string& name : f.list("/checkpoint/optimizer"))
      if (name != "none") c.optimizer.emplace_back(name, f.read_reals("/checkpoint/optimizer/" + name));
    if (f.exists("/checkpoint/grokking")) {
      c.grokking = f.read_integers("/checkpoint/grokking");
    } else if (f.exists("/history/train_acc") && f.exists("/history/test_acc")) {
      // Written before the tracker's state was checkpointed: replay the history up to the checkpoint.
      run::GrokkingTracker tracker(run::kTrainFitAccuracy, grokking_test_accuracy);
      const auto steps = f.read_integers("/history/step");
      const auto train = f.read_reals("/history/train_acc"), test = f.read_reals("/history/test_acc");
      for (std::size_t i = 0; i < steps.size() && i < train.size() && i < test.size(); ++i)
        if (steps[i] <= c.step) tracker.observe(steps[i], train[i], test[i]);
      c.grokking = tracker.state();
    }
    return c;
  } catch (const DataError&) {
    throw;
  } catch (const std::exception& e) {
    throw DataError(f.path(), std::string("incomplete /checkpoint (") + e.what() + ")");
  }
}

}  // namespace pgdx::io
