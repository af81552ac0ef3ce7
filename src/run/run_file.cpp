#include "pgdx/run/run_file.hpp"

#include <algorithm>
#include <ctime>
#include <cmath>
#include <numeric>

#include "pgdx/build_info.hpp"
#include "pgdx/run/grokking.hpp"

namespace pgdx::run {
namespace {

std::string utc_now() {
  std::time_t t = std::time(nullptr);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buffer;
}

std::string join(const std::vector<std::string>& parts, const char* separator) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? separator : "") + parts[i];
  return out;
}

// Column-major d × n (one sample per column) is row-major n × d: the layout's (n, d).
void write_samples(io::H5File& file, const std::string& path, const linalg::Matrix& m) {
  file.write(path, m.storage(), {m.cols(), m.rows()});
}

}  // namespace

RunFile::RunFile(const std::string& out_dir, const io::RunConfig& config, const model::Model& model,
                 const task::Task& task, int ranks, const std::vector<Axis>& axes)
    : writer_(std::make_unique<io::RunWriter>(out_dir, config.run.name)) {
  io::H5File& f = writer_->file();
  f.set_attribute("format", std::string("pgdx-run"));
  f.set_attribute("format_version", std::int64_t{1});
  f.set_attribute("pgdx_version", std::string(build::kVersion));
  f.set_attribute("git_commit", std::string(build::kGitCommit));
  f.set_attribute("config", config.effective_toml);
  f.set_attribute("config_file", config.file);
  f.set_attribute("overrides", join(config.overrides, ";"));
  f.set_attribute("run_name", config.run.name);
  f.set_attribute("task", task.name());
  f.set_attribute("optimizer", io::phase_methods(config, "+"));  // "lm", or "lm+adamw" for phases
  if (config.phases.size() > 1) {
    std::vector<std::int64_t> ends;
    long end = 0;
    for (const io::RunPhase& phase : config.phases) ends.push_back(end += phase.steps);
    f.write("/phases/end_step", ends, {ends.size()});
  }
  f.set_attribute("seed", static_cast<std::int64_t>(config.run.seed));
  f.set_attribute("num_params", static_cast<std::int64_t>(model.num_params()));
  f.set_attribute("num_train", static_cast<std::int64_t>(task.train().size()));
  f.set_attribute("num_outputs", static_cast<std::int64_t>(model.output_dim()));
  f.set_attribute("ranks", static_cast<std::int64_t>(ranks));
  f.set_attribute("started_at", utc_now());
  f.write("/init/params", model.params(), {model.num_params()});
  write_samples(f, "/data/train_x", task.train().x);
  write_samples(f, "/data/train_y", task.train().y);
  if (task.train().coefficients.rows() > 0) write_samples(f, "/data/train_coefficients", task.train().coefficients);
  for (const Axis& axis : axes) f.write(axis.path, axis.values, {axis.values.size()});
  f.flush();  // a run killed from here on leaves a readable .partial file
}

std::unique_ptr<RunFile> RunFile::reopen(const std::string& out_dir, const io::RunConfig& config,
                                         long checkpoint_step) {
  std::unique_ptr<RunFile> run_file(new RunFile(io::RunWriter::reopen(out_dir, config.run.name)));
  io::H5File& f = run_file->writer_->file();
  for (const std::string& top : f.list("/")) {
    const std::string group = "/" + top;
    // A group of recorded rows has a step column (the checkpoint's step is not one).
    if (top == "checkpoint" || !f.exists(group + "/step")) continue;
    const auto steps = f.read_integers(group + "/step");
    const auto keep = static_cast<std::uint64_t>(
        std::count_if(steps.begin(), steps.end(), [&](std::int64_t s) { return s <= checkpoint_step; }));
    for (const std::string& name : f.list(group))
      if (f.extendible(group + "/" + name)) f.truncate(group + "/" + name, keep);  // axes stay
  }
  f.set_attribute("resumed_from_step", static_cast<std::int64_t>(checkpoint_step));
  return run_file;
}

void RunFile::write_checkpoint(const Checkpoint& checkpoint) {
  writer_->flush();  // the history on disk must reach the checkpoint step
  run::write_checkpoint(writer_->file(), checkpoint);
}

void RunFile::finish(const RunSummary& summary, const model::Model& model, const io::RunConfig& config) {
  io::H5File& f = writer_->file();
  writer_->flush();
  // Where the LM/GN systems were solved (the last recorded step says; −1: first-order, no system).
  if (f.exists("/history/parameter_space")) {
    const auto space = f.read_integers("/history/parameter_space");
    const std::int64_t last = space.empty() ? -1 : space.back();
    f.set_attribute("solve_space", std::string(last == 1 ? "parameter" : last == 0 ? "sample" : "none"));
  }
  // Classification runs: the grokking numbers, from the history as written (so a resumed run
  // counts the steps before its checkpoint too).
  if (f.exists("/history/train_acc") && f.exists("/history/test_acc")) {
    const auto steps = f.read_integers("/history/step");
    const auto train = f.read_reals("/history/train_acc"), test = f.read_reals("/history/test_acc");
    const GrokkingMetrics m = grokking_metrics(steps, train, test, kTrainFitAccuracy, config.run.grokking_test_accuracy);
    f.set_attribute("train_acc_99_step", m.train_step);
    f.set_attribute("test_acc_threshold", config.run.grokking_test_accuracy);
    f.set_attribute("test_acc_threshold_step", m.test_step);
    f.set_attribute("grokking_delay", m.delay);
    f.set_attribute("final_train_acc", train.empty() ? std::nan("") : train.back());
    f.set_attribute("final_test_acc", test.empty() ? std::nan("") : test.back());
  }
  f.write("/final/params", model.params(), {model.num_params()});
  f.set_attribute("steps_completed", static_cast<std::int64_t>(summary.steps));
  f.set_attribute("wall_seconds", summary.wall_seconds);
  f.set_attribute("final_train_loss", summary.final_train_loss);
  f.set_attribute("final_test_loss", summary.final_test_loss);
  writer_->finish(summary.status, summary.message);
}

}  // namespace pgdx::run
