#include "pgdx/io/run_file.hpp"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <limits>
#include <numeric>

#include "pgdx/build_info.hpp"
#include "pgdx/io/checkpoint_file.hpp"
#include "pgdx/linalg/blas_kernels.hpp"
#include "pgdx/parallel/blas_thread_choice.hpp"
#include "pgdx/util/host_clock.hpp"

namespace pgdx::io {
namespace {

std::string join(const std::vector<std::string>& parts, const char* separator) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? separator : "") + parts[i];
  return out;
}

// Column-major d × n (one sample per column) is row-major n × d: the layout's (n, d).
void write_samples(H5File& file, const std::string& path, const linalg::Matrix& m) {
  file.write(path, m.storage(), {m.cols(), m.rows()});
}

}  // namespace

RunFile::RunFile(const std::string& out_dir, const RunConfig& config, bool resume)
    : config_(config),
      writer_(resume ? RunWriter::reopen(out_dir, config.run.name)
                     : std::make_unique<RunWriter>(out_dir, config.run.name)) {}

template <class Write>
void RunFile::guarded(Write&& write) {
  if (!failure_.empty()) return;
  try {
    write();
  } catch (const std::exception& e) {
    failure_ = e.what();
    writer_->abandon();
  }
}

void RunFile::begin(const run::RunHeader& header) {
  model_ = &header.model;
  guarded([&] {
    // A resumed file was rebuilt up to its checkpoint (io::rebuild_for_resume).
    if (header.resumed_from_step < 0) write_header(header);
    // Where the data was found by the rule of task/data_dir.hpp; a resume (maybe from elsewhere) restates it.
    if (!header.task.data_dir().empty()) writer_->file().set_attribute("data_dir", header.task.data_dir());
  });
}

void RunFile::on_step(const run::StepEvent&, run::StepRequests& requests) {
  if (!failure_.empty()) requests.failed = true;
}

void RunFile::on_record(const Record& record) {
  guarded([&] { writer_->record(record); });
}

void RunFile::write_header(const run::RunHeader& header) {
  const RunConfig& config = config_;
  const model::Model& model = header.model;
  const task::Task& task = header.task;
  H5File& f = writer_->file();
  const task::Dataset& train = task.train();
  writer_->ensure_space(8 * (model.num_params() + train.x.size() + train.y.size() + train.coefficients.size()) +
                        config.effective_toml.size());
  f.set_attribute("format", std::string("pgdx-run"));
  f.set_attribute("format_version", std::int64_t{1});
  f.set_attribute("pgdx_version", std::string(build::kVersion));
  f.set_attribute("git_commit", std::string(build::kGitCommit));
  f.set_attribute("blas_core", linalg::blas_core_description());  // the kernels set the round-off
  f.set_attribute("config", config.effective_toml);
  f.set_attribute("config_file", config.file);
  f.set_attribute("overrides", join(config.overrides, ";"));
  f.set_attribute("run_name", config.run.name);
  f.set_attribute("task", task.name());
  f.set_attribute("optimizer", phase_methods(config, "+"));  // "lm", or "lm+adamw" for phases
  if (config.phases.size() > 1) {
    const auto int64 = [](const std::vector<long>& v) { return std::vector<std::int64_t>(v.begin(), v.end()); };
    // Within run.steps (a smaller budget cuts the phases); rewritten when an `until` test ends a phase.
    const auto ends = int64(run::phase_end_steps(config.phases, config.run.steps));
    f.write("/phases/end_step", ends, {ends.size()});
    // The phases' `steps`, as configured.
    const auto planned = int64(run::phase_end_steps(config.phases, std::numeric_limits<long>::max()));
    f.write("/phases/planned_end_step", planned, {planned.size()});
  }
  f.set_attribute("seed", static_cast<std::int64_t>(config.run.seed));
  f.set_attribute("num_params", static_cast<std::int64_t>(model.num_params()));
  f.set_attribute("num_train", static_cast<std::int64_t>(task.train().size()));
  f.set_attribute("num_outputs", static_cast<std::int64_t>(model.output_dim()));
  f.set_attribute("ranks", static_cast<std::int64_t>(header.ranks));
  // Threads change a step's time, not its result (tests/e2e/test_blas_threads.py); recorded to read
  // step_seconds by. Set by pgdx at start-up (parallel/blas_thread_choice.hpp).
  if (const auto threads = parallel::blas_threads_in_effect()) {
    f.set_attribute("blas_threads", static_cast<std::int64_t>(threads->threads));
    f.set_attribute("blas_threads_source", std::string(parallel::to_string(threads->source)));
    f.set_attribute("blas_threads_reason", threads->reason);
    f.set_attribute("ranks_per_node", static_cast<std::int64_t>(threads->placement.max_ranks_per_node));
    f.set_attribute("nodes", static_cast<std::int64_t>(threads->placement.nodes));
  }
  f.set_attribute("started_at", utc_now());
  f.write("/init/params", model.params(), {model.num_params()});
  write_samples(f, "/data/train_x", task.train().x);
  write_samples(f, "/data/train_y", task.train().y);
  if (task.train().coefficients.rows() > 0) write_samples(f, "/data/train_coefficients", task.train().coefficients);
  for (const diag::Axis& axis : header.axes) f.write(axis.path, axis.values, {axis.values.size()});
  f.flush();  // a run killed from here on leaves a readable .partial file
}

void RunFile::on_checkpoint(const run::Checkpoint& checkpoint) {
  guarded([&] {
    writer_->flush();  // the history on disk must reach the checkpoint step
    // Checked before the old checkpoint is replaced, so a full disk keeps the previous one.
    writer_->ensure_space(8 * (checkpoint.params.size() + checkpoint.epoch_order.size() + 64) +
                          [&] {
                            std::uint64_t state = 0;
                            for (const auto& [name, values] : checkpoint.optimizer) state += 8 * values.size();
                            for (const auto& [name, values] : checkpoint.diagnostics) state += 8 * values.size();
                            return state;
                          }());
    write_checkpoint(writer_->file(), checkpoint);
  });
}

void RunFile::on_phase_end(const run::PhaseEnd& phase_end) {
  guarded([&] {
    H5File& f = writer_->file();
    const std::vector<std::int64_t> ends(phase_end.end_steps.begin(), phase_end.end_steps.end());
    f.remove("/phases/end_step");
    f.write("/phases/end_step", ends, {ends.size()});
    f.set_attribute("phase_" + std::to_string(phase_end.phase) + "_ended_by", phase_end.reason);
  });
}

void RunFile::end(const run::RunSummary& summary) {
  guarded([&] { finish(summary); });
}

void RunFile::finish(const run::RunSummary& summary) {
  H5File& f = writer_->file();
  writer_->flush();
  writer_->ensure_space(8 * model_->num_params() + 4096);
  // Where the LM/GN systems were solved (the last recorded step says; −1: first-order, no system).
  f.set_attribute("solve_space", std::string(summary.solve_space == 1   ? "parameter"
                                             : summary.solve_space == 0 ? "sample"
                                                                        : "none"));
  if (summary.classification) {
    const run::GrokkingMetrics& m = summary.grokking;
    f.set_attribute("train_acc_99_step", m.train_step);
    f.set_attribute("test_acc_threshold", config_.run.grokking_test_accuracy);
    f.set_attribute("test_acc_threshold_step", m.test_step);
    f.set_attribute("grokking_delay", m.delay);
    f.set_attribute("final_train_acc", summary.final_train_accuracy);
    f.set_attribute("final_test_acc", summary.final_test_accuracy);
  }
  f.write("/final/params", model_->params(), {model_->num_params()});
  f.set_attribute("steps_completed", static_cast<std::int64_t>(summary.steps));
  if (config_.phases.size() > 1) f.set_attribute("phases_run", static_cast<std::int64_t>(summary.phases_run));
  f.set_attribute("wall_seconds", summary.wall_seconds);
  f.set_attribute("final_train_loss", summary.final_train_loss);
  f.set_attribute("final_test_loss", summary.final_test_loss);
  writer_->finish(run::to_string(summary.status), summary.message);
}

}  // namespace pgdx::io
