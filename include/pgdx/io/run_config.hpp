#pragma once
// A run's configuration: TOML file + `--set key=value` overrides → typed, validated structs.
// Every key is checked: unknown keys, wrong types and bad values throw ConfigError naming the
// file and the key. Numerics never see TOML.
#include <cstdint>
#include <string>
#include <vector>

#include "pgdx/loss/mse.hpp"
#include "pgdx/loss/output_loss.hpp"
#include "pgdx/model/mlp_options.hpp"
#include "pgdx/optim/optimizer_options.hpp"
#include "pgdx/problem/problem_options.hpp"
#include "pgdx/run/trainer_options.hpp"
#include "pgdx/task/task.hpp"

namespace pgdx::io {

// The kernel diagnostic's default probe, in rows of K (samples × outputs): a recording (an
// M × M eigen-decomposition, ~10M³/3 flops) then costs about as much as a few LM steps on MNIST.
inline constexpr std::size_t kDefaultProbeRows = 500;

struct RunOptions {
  std::uint64_t seed = 0;
  long steps = 2000;
  long record_every = 1;      // history/spectrum cadence (step 0 and the last step are always recorded)
  bool record_log = false;    // record_schedule = "log": every step to 30, every 10 to 150, then
                              // 200 log-spaced steps (EXPERIMENTS.md §0.8; for log-x plots)
  std::size_t batch_size = 0; // 0: full batch; otherwise minibatches from the seeded stream, reshuffled per epoch
  std::string name;           // output file stem; default derived from file stem, optimizer and seed
  long progress_every = 0;    // progress line cadence in steps; 0: about 20 lines per run
  long checkpoint_every = 0;  // write /checkpoint every this many steps (0: only on SIGTERM/SIGINT)
  double grokking_test_accuracy = 0.8;  // classification: "generalised" = test accuracy ≥ this
  long full_spectrum_every = 100;  // 2-D grids: the whole spectrum every this many steps (shells: every record)
  long ntk_every = 0;         // kernel diagnostic (/ntk, /lazy) every this many steps; 0: off (docs/diagnostics.md)
  // Its probe set: the training set if at most this many samples, else a seeded subset. Unset: as
  // many samples as give K kDefaultProbeRows rows (500 scalar samples, 50 MNIST digits).
  std::size_t ntk_probe = 0;
  void validate() const;
};

struct RunConfig {
  std::string file;                    // path given on the command line
  std::vector<std::string> overrides;  // the --set arguments as given
  std::string effective_toml;          // the configuration after overrides, as TOML text
  RunOptions run;
  task::TaskOptions task;
  model::MlpOptions model;
  loss::Reduction reduction = loss::Reduction::mean;
  double residual_scale = 1.0;  // loss.residual_scale γ: e = γ (f − y)
  loss::LossKind loss_kind = loss::LossKind::squared;  // loss.kind: mse | cross_entropy
  problem::ProblemOptions problem;    // how K is formed and laid out, for the whole run
  // ≥ 1 (a run without [[phase]] tables is one); their steps add up to run.steps, or more: a
  // smaller run.steps stops the run early (run::phase_end_steps).
  std::vector<run::Phase> phases;
};

// What the training loop needs of a config (run/trainer_options.hpp).
run::TrainerOptions trainer_options(const RunConfig& config);

// The phases' optimizer names joined by `separator` ("lm", or "lm_then_adamw"); consecutive phases
// of one method are named once.
std::string phase_methods(const RunConfig& config, const std::string& separator);

// True when two effective configs (RunConfig::effective_toml) describe the same single-phase run
// but for run.steps: a run interrupted under one may be continued under the other (a longer or
// shorter budget). Phased runs never qualify: their checkpoint holds the phase ends as cut to the
// budget they started with.
bool same_run_except_steps(const std::string& effective_toml_a, const std::string& effective_toml_b);

// Reads, overrides and validates. Throws ConfigError (missing file, syntax, unknown key, wrong
// type, bad value).
RunConfig load_run_config(const std::string& path, const std::vector<std::string>& overrides = {});

// Same, from TOML text (tests); `origin` names the text in messages.
RunConfig parse_run_config(const std::string& toml_text, const std::string& origin,
                           const std::vector<std::string>& overrides = {});

}  // namespace pgdx::io
