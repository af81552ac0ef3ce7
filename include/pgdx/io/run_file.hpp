#pragma once
// The run's HDF5 file (docs/hdf5-layout.md) as a recorder: begin() writes the header (attributes,
// θ₀, data, axes) — or, resuming, reopens the file and drops rows recorded after the checkpoint —
// every Record is appended as it comes, checkpoints go to /checkpoint, and end() writes the final
// attributes and renames NAME.h5.partial to NAME.h5. The one owner of the run file; constructed
// on rank 0 only.
#include <memory>
#include <string>

#include "pgdx/io/run_config.hpp"
#include "pgdx/io/run_writer.hpp"
#include "pgdx/run/recorder.hpp"

namespace pgdx::io {

class RunFile final : public run::Recorder {
 public:
  // Opens (creates, or reopens when `resume`) OUT/NAME.h5.partial at once, so a file that cannot
  // be written is reported before the first step.
  RunFile(const std::string& out_dir, const RunConfig& config, bool resume);
  void begin(const run::RunHeader& header) override;
  void on_record(const Record& record) override { writer_->record(record); }
  void on_checkpoint(const run::Checkpoint& checkpoint) override;
  void end(const run::RunSummary& summary) override;
  const std::string& path() const { return writer_->final_path(); }

 private:
  void write_header(const run::RunHeader& header);
  void drop_rows_after(long step);

  const RunConfig& config_;
  std::unique_ptr<RunWriter> writer_;
  const model::Model* model_ = nullptr;
};

}  // namespace pgdx::io
