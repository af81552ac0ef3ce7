#pragma once
// The run's HDF5 file (docs/hdf5-layout.md) as a recorder: begin() writes the header (attributes,
// θ₀, data, axes) — or, resuming, reopens the file io::rebuild_for_resume cut at its checkpoint —
// every Record is appended as it comes, checkpoints go to /checkpoint, and end() writes the final
// attributes and renames NAME.h5.partial to NAME.h5. The one owner of the run file; constructed
// on rank 0 only.
#include <memory>
#include <string>

#include "pgdx/io/run_config.hpp"
#include "pgdx/io/run_writer.hpp"
#include "pgdx/run/recorder.hpp"

namespace pgdx::io {

// A write that fails (disk full, I/O error, permission lost) does not escape: the file is
// abandoned as it was after its last complete write (with its last checkpoint), failure() says
// why in one line, and on_step asks every rank to stop (StepRequests::failed).
class RunFile final : public run::Recorder {
 public:
  // Opens (creates, or reopens when `resume`) OUT/NAME.h5.partial at once, so a file that cannot
  // be written is reported before the first step.
  RunFile(const std::string& out_dir, const RunConfig& config, bool resume);
  void begin(const run::RunHeader& header) override;
  void on_step(const run::StepEvent& event, run::StepRequests& requests) override;
  void on_record(const Record& record) override;
  void on_checkpoint(const run::Checkpoint& checkpoint) override;
  void on_phase_end(const run::PhaseEnd& phase_end) override;
  void end(const run::RunSummary& summary) override;
  const std::string& path() const { return writer_->final_path(); }
  // Empty while every write succeeded; else "FILE: OS error".
  const std::string& failure() const { return failure_; }

 private:
  void write_header(const run::RunHeader& header);
  void finish(const run::RunSummary& summary);
  // Runs a write unless an earlier one failed; a failure is kept and the file abandoned.
  template <class Write>
  void guarded(Write&& write);
  std::string failure_;

  const RunConfig& config_;
  std::unique_ptr<RunWriter> writer_;
  const model::Model* model_ = nullptr;
};

}  // namespace pgdx::io
