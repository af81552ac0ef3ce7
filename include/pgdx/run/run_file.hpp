#pragma once
// The run's HDF5 file as a record sink: writes the header (attributes, θ₀, data) on creation,
// every Record as it comes, and the final status on finish(). Constructed on rank 0 only.
#include <memory>
#include <string>

#include "pgdx/io/run_config.hpp"
#include "pgdx/io/run_writer.hpp"
#include "pgdx/model/model.hpp"
#include "pgdx/run/checkpoint.hpp"
#include "pgdx/run/recording.hpp"
#include "pgdx/run/trainer.hpp"
#include "pgdx/task/task.hpp"

namespace pgdx::run {

class RunFile final : public RecordSink {
 public:
  RunFile(const std::string& out_dir, const io::RunConfig& config, const model::Model& model, const task::Task& task,
          int ranks, const std::vector<Axis>& axes);
  // Continues OUT/NAME.h5 (interrupted) or OUT/NAME.h5.partial: drops history and spectral rows
  // recorded after the checkpoint step, so the continued run appends exactly what an
  // uninterrupted run would have written.
  static std::unique_ptr<RunFile> reopen(const std::string& out_dir, const io::RunConfig& config,
                                         long checkpoint_step);
  void on_record(const Record& record) override { writer_->record(record); }
  void write_checkpoint(const Checkpoint& checkpoint);
  // Final attributes and θ (classification runs: also the grokking numbers, run/grokking.hpp),
  // then close and rename NAME.h5.partial → NAME.h5.
  void finish(const RunSummary& summary, const model::Model& model, const io::RunConfig& config);
  // "Memorised": the training accuracy the grokking delay is measured from.
  static constexpr double kTrainFitAccuracy = 0.99;
  const std::string& path() const { return writer_->final_path(); }

 private:
  explicit RunFile(std::unique_ptr<io::RunWriter> writer) : writer_(std::move(writer)) {}
  std::unique_ptr<io::RunWriter> writer_;
};

}  // namespace pgdx::run
