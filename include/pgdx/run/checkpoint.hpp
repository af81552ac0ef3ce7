#pragma once
// What a run needs to continue bit for bit (same rank count): θ, the optimizer's state, the
// minibatch stream and its position in the epoch, the step, and the time spent so far. Stored in
// the run file's /checkpoint group (docs/hdf5-layout.md).
#include <array>
#include <cstdint>
#include <vector>

#include "pgdx/io/h5_file.hpp"
#include "pgdx/optim/optimizer.hpp"

namespace pgdx::run {

struct Checkpoint {
  long step = 0;                   // optimizer steps taken
  double elapsed_seconds = 0.0;    // training-loop time before this point
  std::vector<double> params;      // θ after `step` steps
  optim::OptimizerState optimizer;
  std::array<std::uint64_t, 6> minibatch_rng{};
  std::vector<std::size_t> epoch_order;
  std::size_t epoch_position = 0;
};

// Replaces /checkpoint in the file.
void write_checkpoint(io::H5File& file, const Checkpoint& checkpoint);
bool has_checkpoint(const io::H5File& file);
// Throws DataError naming the file if /checkpoint is missing or incomplete.
Checkpoint read_checkpoint(const io::H5File& file);

}  // namespace pgdx::run
