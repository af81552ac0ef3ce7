#pragma once
// The run's HDF5 file as a record sink: writes the header (attributes, θ₀, data) on creation,
// every Record as it comes, and the final status on finish(). Constructed on rank 0 only.
#include <memory>
#include <string>

#include "pgdx/io/run_config.hpp"
#include "pgdx/io/run_writer.hpp"
#include "pgdx/model/model.hpp"
#include "pgdx/run/recording.hpp"
#include "pgdx/run/trainer.hpp"
#include "pgdx/task/task.hpp"

namespace pgdx::run {

class RunFile final : public RecordSink {
 public:
  RunFile(const std::string& out_dir, const io::RunConfig& config, const model::Model& model, const task::Task& task,
          int ranks, std::size_t num_modes);
  void on_record(const Record& record) override { writer_.record(record); }
  // Final attributes and θ, then close and rename NAME.h5.partial → NAME.h5.
  void finish(const RunSummary& summary, const model::Model& model);
  const std::string& path() const { return writer_.final_path(); }

 private:
  io::RunWriter writer_;
};

}  // namespace pgdx::run
