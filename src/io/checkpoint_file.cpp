#include "pgdx/io/checkpoint_file.hpp"

#include <algorithm>
#include <csignal>
#include <cstdlib>
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

namespace {
// A dataset path as one link name: "/history/mu" -> "history:mu".
std::string digest_name(const std::string& path) {
  std::string name = path.substr(path.rfind('/', 0) == 0 ? 1 : 0);
  std::replace(name.begin(), name.end(), '/', ':');
  return name;
}
}  // namespace

// A checkpoint is replaced without a moment where no whole one is on disk: the new one is written
// as /checkpoint_next and sealed (its `seal` = its step, written last), the file flushed, and only
// then does it replace /checkpoint. HDF5 keeps no journal: a process killed while it rewrites a
// group can leave on disk a mix of old and new links (measured: the step and θ of the new
// checkpoint beside the optimizer state of the old one), which the seal exposes.
void write_checkpoint(H5File& f, const run::Checkpoint& c) {
  const std::string g = "/checkpoint_next";
  f.remove(g);
  f.write(g + "/step", std::vector<std::int64_t>{c.step}, {1});
  f.write(g + "/elapsed_seconds", std::vector<double>{c.elapsed_seconds}, {1});
  f.write(g + "/params", c.params, {c.params.size()});
  // Fault injection (tests only): die halfway through writing the checkpoint.
  if (const char* at = std::getenv("PGDX_TEST_SIGKILL_IN_CHECKPOINT"); at && std::atol(at) == c.step)
    std::raise(SIGKILL);
  f.write(g + "/minibatch_rng", as_int64(c.minibatch_rng.data(), c.minibatch_rng.size()), {6});
  std::vector<std::uint64_t> order(c.epoch_order.begin(), c.epoch_order.end());
  f.write(g + "/epoch_order", as_int64(order.data(), order.size()), {order.size()});
  f.write(g + "/epoch_position", std::vector<std::int64_t>{static_cast<std::int64_t>(c.epoch_position)}, {1});
  for (const auto& [name, values] : c.optimizer) f.write(g + "/optimizer/" + name, values, {values.size()});
  if (c.optimizer.empty()) f.write(g + "/optimizer/none", std::vector<double>{}, {0});
  if (!c.grokking.empty()) f.write(g + "/grokking", c.grokking, {c.grokking.size()});
  for (const auto& [name, values] : c.diagnostics) f.write(g + "/diagnostics/" + name, values, {values.size()});
  if (!c.phase_end.empty()) {
    f.write(g + "/phase_end", std::vector<std::int64_t>(c.phase_end.begin(), c.phase_end.end()), {c.phase_end.size()});
    const run::PhaseConditionState& p = c.phase_condition;
    f.write(g + "/phase_condition",
            std::vector<double>{static_cast<double>(p.drift_step), p.drift, static_cast<double>(p.previous_drift_step),
                                p.previous_drift},
            {4});
  }
  // What the record rows up to this step are, so a resume can tell torn-but-intact rows from lost ones.
  for (const auto& [path, d] : f.row_digests())
    f.write(g + "/row_digests/" + digest_name(path),
            std::vector<std::int64_t>{static_cast<std::int64_t>(d.rows), static_cast<std::int64_t>(d.digest)}, {2});
  f.write(g + "/seal", std::vector<std::int64_t>{c.step}, {1});
  f.flush();
  f.remove("/checkpoint");
  f.move(g, "/checkpoint");
  f.flush();
}

namespace {

// A group holds a whole checkpoint: sealed with its own step (checkpoints written before seals
// existed have none and are taken as they are).
bool sealed(const H5File& f, const std::string& group) {
  try {  // a group torn by a kill may fail any read
    if (!f.exists(group + "/step")) return false;
    const auto step = f.read_integers(group + "/step");
    if (!f.exists(group + "/seal")) return group == "/checkpoint";
    return f.read_integers(group + "/seal") == step;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

std::string checkpoint_group(const H5File& f) {
  std::string best;
  long best_step = -1;
  for (const char* group : {"/checkpoint", "/checkpoint_next"}) {
    if (!sealed(f, group)) continue;
    const long step = static_cast<long>(f.read_integers(std::string(group) + "/step").at(0));
    if (step > best_step) {
      best = group;
      best_step = step;
    }
  }
  return best;
}


bool has_checkpoint(const H5File& f) { return !checkpoint_group(f).empty(); }

std::optional<std::map<std::string, H5File::RowDigest>> checkpoint_row_digests(const H5File& f) {
  const std::string g = checkpoint_group(f);
  if (g.empty() || !f.exists(g + "/row_digests")) return std::nullopt;
  std::map<std::string, H5File::RowDigest> digests;
  for (const std::string& name : f.list(g + "/row_digests")) {
    const auto v = f.read_integers(g + "/row_digests/" + name);
    if (v.size() != 2) throw DataError(f.path(), g + "/row_digests/" + name + " must hold 2 numbers");
    std::string path = "/" + name;
    std::replace(path.begin(), path.end(), ':', '/');
    digests[path] = {static_cast<std::uint64_t>(v[0]), static_cast<std::uint64_t>(v[1])};
  }
  return digests;
}

run::Checkpoint read_checkpoint(const H5File& f, double grokking_test_accuracy) {
  const std::string g = checkpoint_group(f);
  if (g.empty()) throw DataError(f.path(), "no whole /checkpoint to resume from");
  try {
    run::Checkpoint c;
    c.step = static_cast<long>(f.read_integers(g + "/step").at(0));
    c.elapsed_seconds = f.read_reals(g + "/elapsed_seconds").at(0);
    c.params = f.read_reals(g + "/params");
    const auto rng = f.read_integers(g + "/minibatch_rng");
    if (rng.size() != 6) throw std::runtime_error("minibatch_rng must hold 6 words");
    std::memcpy(c.minibatch_rng.data(), rng.data(), sizeof c.minibatch_rng);
    for (std::int64_t v : f.read_integers(g + "/epoch_order")) c.epoch_order.push_back(static_cast<std::size_t>(v));
    c.epoch_position = static_cast<std::size_t>(f.read_integers(g + "/epoch_position").at(0));
    for (const std::string& name : f.list(g + "/optimizer"))
      if (name != "none") c.optimizer.emplace_back(name, f.read_reals(g + "/optimizer/" + name));
    if (f.exists(g + "/grokking")) {
      c.grokking = f.read_integers(g + "/grokking");
    } else if (f.exists("/history/train_acc") && f.exists("/history/test_acc")) {
      // Written before the tracker's state was checkpointed: replay the history up to the checkpoint.
      run::GrokkingTracker tracker(run::kTrainFitAccuracy, grokking_test_accuracy);
      const auto steps = f.read_integers("/history/step");
      const auto train = f.read_reals("/history/train_acc"), test = f.read_reals("/history/test_acc");
      for (std::size_t i = 0; i < steps.size() && i < train.size() && i < test.size(); ++i)
        if (steps[i] <= c.step) tracker.observe(steps[i], train[i], test[i]);
      c.grokking = tracker.state();
    }
    if (f.exists(g + "/diagnostics"))  // checkpoints since diagnostics keep memory (none before)
      for (const std::string& name : f.list(g + "/diagnostics"))
        c.diagnostics.emplace_back(name, f.read_reals(g + "/diagnostics/" + name));
    if (f.exists(g + "/phase_end")) {  // runs with phases, since conditional phase ends exist
      for (std::int64_t v : f.read_integers(g + "/phase_end")) c.phase_end.push_back(static_cast<long>(v));
      const auto p = f.read_reals(g + "/phase_condition");
      if (p.size() != 4) throw std::runtime_error("phase_condition must hold 4 numbers");
      c.phase_condition = {static_cast<long>(p[0]), static_cast<long>(p[2]), p[1], p[3]};
    }
    return c;
  } catch (const DataError&) {
    throw;
  } catch (const std::exception& e) {
    throw DataError(f.path(), "incomplete " + g + " (" + std::string(e.what()) + ")");
  }
}

}  // namespace pgdx::io
