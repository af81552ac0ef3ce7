// Config errors: each bad input gets one message naming the file and the key (exact text).
#include <cmath>
#include <catch2/catch.hpp>

#include "pgdx/io/run_config.hpp"
#include "pgdx/task/task_registry.hpp"
#include "pgdx/util/errors.hpp"

using namespace pgdx;

namespace {

const std::string kValid = R"(
[run]
seed = 3
steps = 10
[task]
name = "regression1d"
points = 20
[model]
layers = [1, 8, 1]
activation = "tanh"
[loss]
reduction = "mean"
[optimizer]
name = "lm"
lr = 0.01
mu = 0.1
mu_scale = "sum"
)";

std::string error_of(const std::string& text, const std::vector<std::string>& overrides = {}) {
  try {
    io::parse_run_config(text, "job.toml", overrides);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

std::string with(const std::string& line, const std::string& table) {
  std::string text = kValid;
  const auto at = text.find("[" + table + "]\n");
  REQUIRE(at != std::string::npos);
  text.insert(at + table.size() + 3, line + "\n");
  return text;
}

}  // namespace

TEST_CASE("a valid config parses with its values and derived run name", "[config]") {
  const auto c = io::parse_run_config(kValid, "jobs/fig.toml");
  CHECK(c.run.seed == 3);
  CHECK(c.run.steps == 10);
  CHECK(c.task.points == 20);
  CHECK(c.model.layers == std::vector<std::size_t>{1, 8, 1});
  CHECK(c.reduction == loss::Reduction::mean);
  CHECK(c.phases.front().optimizer.method == optim::Method::lm);
  CHECK(c.phases.front().optimizer.mu == 0.1);
  CHECK(c.run.name == "fig_lm_mu0.1_seed3");
  CHECK(c.effective_toml.find("mu = 0.1") != std::string::npos);
}

TEST_CASE("command-line overrides (--set) replace values, create keys and are validated like the file", "[config]") {
  const auto c = io::parse_run_config(kValid, "job.toml",
                                      {"optimizer.name=gn", "optimizer.gn_cutoff=1e-8", "run.name=custom",
                                       "model.layers=[1,4,4,1]"});
  CHECK(c.phases.front().optimizer.method == optim::Method::gn);
  CHECK(c.phases.front().optimizer.gn_cutoff == 1e-8);
  CHECK(c.run.name == "custom");
  CHECK(c.model.layers.size() == 4);
  CHECK(c.effective_toml.find("gn_cutoff = 1e-08") != std::string::npos);
  CHECK(error_of(kValid, {"optimizer.lr=-1"}) == "job.toml: key 'optimizer.lr': must be a finite number > 0 (got -1)");
  CHECK(error_of(kValid, {"optimizer.lrr=1"}) == "job.toml: key 'optimizer.lrr': unknown key");
  CHECK(error_of(kValid, {"nonsense"}) == "job.toml: override 'nonsense' is not of the form key=value");
}

TEST_CASE("every bad config key gets its own one-line message", "[config]") {
  CHECK(error_of(with("lr_typo = 0.1", "optimizer")) == "job.toml: key 'optimizer.lr_typo': unknown key");
  CHECK(error_of(kValid + "\n[newtable]\nx = 1\n") == "job.toml: key 'newtable.x': unknown key");
  CHECK(error_of(kValid + "\nloose = 1\n") == "job.toml: key 'optimizer.loose': unknown key");
  CHECK(error_of("top = 1\n" + kValid) == "job.toml: key 'top': unknown key");
  CHECK(error_of(kValid, {"optimizer.lr=\"fast\""}) ==
        "job.toml: key 'optimizer.lr': expected a number, got a string 'fast'");
  CHECK(error_of(kValid, {"run.steps=1.5"}) == "job.toml: key 'run.steps': expected an integer, got a number 1.5");
  CHECK(error_of(kValid, {"run.steps=-3"}) == "job.toml: key 'run.steps': must be >= 0 (got -3)");
  CHECK(error_of(kValid, {"run.record_every=0"}) == "job.toml: key 'run.record_every': must be >= 1 (got 0)");
  CHECK(error_of(kValid, {"run.ntk_every=-1"}) == "job.toml: key 'run.ntk_every': must be >= 0 (got -1)");
  CHECK(error_of(kValid, {"run.ntk_probe=0"}) == "job.toml: key 'run.ntk_probe': must be >= 1 (got 0)");
  // The default probe gives K about 500 rows: 500 scalar samples, 50 samples of 10 outputs.
  CHECK(io::parse_run_config(kValid, "job.toml").run.ntk_probe == 500);
  CHECK(io::parse_run_config(kValid, "job.toml", {"model.layers=[784,8,10]", "task.name=\"mnist\""}).run.ntk_probe ==
        io::kDefaultProbeRows / 10);
  CHECK(error_of(kValid, {"run.ntk_every=10", "run.ntk_probe=5000", "task.points=5000"}) ==
        "job.toml: key 'run.ntk_probe': gives a kernel of 5000 rows (samples x 1 output), more than the 4096 a whole "
        "eigen-decomposition per recording affords: use fewer samples");
  CHECK(error_of(kValid, {"optimizer.mu=0"}) == "job.toml: key 'optimizer.mu': must be a finite number > 0 (got 0)");
  CHECK(error_of(kValid, {"optimizer.name=newton"}) ==
        "job.toml: key 'optimizer.name': must be one of sgd|adam|adamw|lm|gn|ggn (got 'newton')");
  CHECK(error_of(kValid, {"optimizer.mu_scale=total"}) ==
        "job.toml: key 'optimizer.mu_scale': must be one of sum|mean (got 'total')");
  CHECK(error_of(kValid, {"loss.reduction=avg"}) == "job.toml: key 'loss.reduction': must be one of sum|mean|elementwise_mean (got 'avg')");
  CHECK(error_of(kValid, {"model.activation=swish"}) ==
        "job.toml: key 'model.activation': must be one of tanh|relu|quadratic|identity|polynomial|gelu (got 'swish')");
  CHECK(error_of(kValid, {"model.activation=gelu"}) ==
        "job.toml: key 'model.activation': gelu is implemented only for model.kind = \"transformer\" (got 'gelu')");
  CHECK(error_of(kValid, {"model.layers=[1,0,1]"}) ==
        "job.toml: key 'model.layers': expected an array of integers >= 1, got [ 1, 0, 1 ]");
  CHECK(error_of(kValid, {"model.layers=[2,8,1]"}) == "job.toml: key 'model.layers': task regression1d needs 1 input and 1 output");
  CHECK(error_of(kValid, {"model.init_scale=-2"}) ==
        "job.toml: key 'model.init_scale': must be a finite number > 0 (got -2)");
  CHECK(error_of(kValid, {"model.bias=1"}) == "job.toml: key 'model.bias': expected true or false, got an integer 1");
  CHECK(error_of(kValid, {"task.name=cifar"}) == "job.toml: key 'task.name': must be one of regression1d|regression2d|pinn_poisson|mnist|modular_mlp|polynomial_teacher|modular_addition_sequence (got 'cifar')");
  CHECK(error_of(kValid, {"run.batch_size=50"}) ==
        "job.toml: key 'run.batch_size': is larger than the training set (20)");
  CHECK(error_of(kValid, {"optimizer.beta1=1"}) == "job.toml: key 'optimizer.beta1': must be in [0, 1) (got 1)");
  CHECK(error_of(kValid, {"optimizer.gn_cutoff_mode=rel"}) ==
        "job.toml: key 'optimizer.gn_cutoff_mode': must be one of relative|absolute (got 'rel')");
  CHECK(error_of(kValid, {"optimizer.damping=auto"}) ==
        "job.toml: key 'optimizer.damping': must be one of constant|loglinear|adaptive (got 'auto')");
  CHECK(error_of(kValid, {"run.name=a/b"}) == "job.toml: key 'run.name': must not contain '/'");
}

TEST_CASE("GGN-CG, Armijo, warm-up and token-sequence keys are checked", "[config]") {
  const std::vector<std::string> ggn = {"task.name=\"modular_mlp\"", "task.modulus=5", "model.layers=[10,8,5]",
                                        "loss.kind=\"cross_entropy\"", "optimizer.name=\"ggn\"",
                                        "optimizer.solver=\"cg\""};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> all = ggn;
    all.insert(all.end(), extra.begin(), extra.end());
    return all;
  };
  CHECK(error_of(kValid, with({})) == "(no error)");
  CHECK(error_of(kValid, with({"optimizer.cg_tolerance=2"})) ==
        "job.toml: key 'optimizer.cg_tolerance': must be in (0, 1) (got 2)");
  CHECK(error_of(kValid, with({"optimizer.cg_max_iterations=0"})) ==
        "job.toml: key 'optimizer.cg_max_iterations': must be >= 1 (got 0)");
  CHECK(error_of(kValid, with({"optimizer.armijo_shrink=1.5"})) ==
        "job.toml: key 'optimizer.armijo_shrink': must be in (0, 1) (got 1.5)");
  CHECK(error_of(kValid, with({"optimizer.armijo_failure=\"retry\""})) ==
        "job.toml: key 'optimizer.armijo_failure': must be one of smallest|skip (got 'retry')");
  CHECK(error_of(kValid, with({"optimizer.solver=\"qr\""})) ==
        "job.toml: key 'optimizer.solver': must be one of direct|cg (got 'qr')");
  CHECK(error_of(kValid, {"optimizer.solver=\"cg\""}) ==
        "job.toml: key 'optimizer.solver': \"cg\" is the ggn optimizer's solver (got 'cg')");
  CHECK(error_of(kValid, {"optimizer.warmup_steps=-1"}) ==
        "job.toml: key 'optimizer.warmup_steps': must be >= 0 (got -1)");
  CHECK(error_of(kValid, {"task.name=\"modular_addition_sequence\"", "model.layers=[4,8,99]"}) ==
        "job.toml: key 'model.kind': task modular_addition_sequence has token sequences: use model.kind = \"transformer\"");
}

TEST_CASE("cross-entropy, GGN and committee keys are checked", "[config]") {
  CHECK(error_of(kValid, {"loss.kind=hinge"}) ==
        "job.toml: key 'loss.kind': must be one of mse|cross_entropy (got 'hinge')");
  CHECK(error_of(kValid, {"loss.kind=\"cross_entropy\""}) ==
        "job.toml: key 'loss.kind': cross_entropy needs one-hot class targets: task regression1d has none");
  const std::vector<std::string> mnist_ce = {"task.name=\"modular_mlp\"", "task.modulus=5", "model.layers=[10,8,5]",
                                             "loss.kind=\"cross_entropy\""};
  auto with_more = [&](std::vector<std::string> extra) {
    std::vector<std::string> all = mnist_ce;
    all.insert(all.end(), extra.begin(), extra.end());
    return all;
  };
  CHECK(error_of(kValid, with_more({"optimizer.name=\"lm\""})) ==
        "job.toml: key 'optimizer.name': lm solves least-squares problems; with loss.kind = cross_entropy use ggn");
  CHECK(error_of(kValid, with_more({"loss.reduction=\"elementwise_mean\""})) ==
        "job.toml: key 'loss.reduction': cross_entropy takes sum or mean (a batch mean over samples)");
  CHECK(error_of(kValid, with_more({"loss.residual_scale=0.5"})) ==
        "job.toml: key 'loss.residual_scale': must be 1 with cross_entropy");
  CHECK(error_of(kValid, with_more({"optimizer.name=\"ggn\"", "optimizer.damping=\"adaptive\""})) ==
        "job.toml: key 'optimizer.damping': ggn takes constant or loglinear damping (got 'adaptive')");
  CHECK(error_of(kValid, {"model.kind=\"committee\""}) ==
        "job.toml: key 'model.bias': a committee has no biases (set model.bias = false)");
  CHECK(error_of(kValid, {"model.kind=\"committee\"", "model.layers=[1,8,8,1]", "model.bias=false"}) ==
        "job.toml: key 'model.layers': a committee is [D, H, 1] (one hidden layer, one output) (got [ 1, 8, 8, 1 ])");
}

TEST_CASE("required convention keys must be present", "[config]") {
  std::string text = kValid;
  text.erase(text.find("reduction = \"mean\"\n"), std::string("reduction = \"mean\"\n").size());
  CHECK(error_of(text) == "job.toml: key 'loss.reduction': is required (one of sum|mean|elementwise_mean)");
  std::string no_scale = kValid;
  no_scale.erase(no_scale.find("mu_scale = \"sum\"\n"), std::string("mu_scale = \"sum\"\n").size());
  CHECK(error_of(no_scale) == "job.toml: key 'optimizer.mu_scale': is required (one of sum|mean)");
}

TEST_CASE("syntax errors and missing files name the file", "[config]") {
  CHECK(error_of("[run]\nsteps = = 3\n").rfind("job.toml: TOML syntax error at line 2:", 0) == 0);
  try {
    io::load_run_config("/nonexistent/dir/job.toml");
    FAIL("no error");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()) == "/nonexistent/dir/job.toml: no such file");
  }
}

TEST_CASE("PINN and 2-D regression keys are checked", "[config]") {
  const std::string& pinn = kValid;
  const std::vector<std::string> as_pinn = {"task.name=pinn_poisson", "model.layers=[2,8,1]"};
  auto with_pinn = [&](std::string extra) {
    std::vector<std::string> o = as_pinn;
    o.push_back(std::move(extra));
    return error_of(pinn, o);
  };
  CHECK(with_pinn("task.frequency=[1]") == "job.toml: key 'task.frequency': must be two integers [n, m] (got [ 1 ])");
  CHECK(with_pinn("task.boundary_points=42") ==
        "job.toml: key 'task.boundary_points': must be a positive multiple of 4 (a quarter per edge) (got 42)");
  CHECK(with_pinn("model.activation=relu") ==
        "job.toml: key 'model.activation': task pinn_poisson takes second derivatives of the model: use tanh, "
        "quadratic or identity, not relu");
  CHECK(with_pinn("optimizer.gram=structured") ==
        "job.toml: key 'optimizer.gram': task pinn_poisson has a PDE residual, whose Gram matrix has no layer "
        "structure: use explicit or auto");
  CHECK(error_of(kValid, {"model.layers=[1,4,4,1]", "optimizer.solve_space=parameter"}) ==
        "job.toml: key 'optimizer.solve_space': \"parameter\" needs a one-hidden-layer model with an f - y residual "
        "(JᵀJ without J); use auto or sample");
  CHECK(error_of(kValid, {"loss.residual_scale=0"}) ==
        "job.toml: key 'loss.residual_scale': must be a finite number > 0 (got 0)");
  CHECK(error_of(kValid, {"task.name=regression2d"}) ==
        "job.toml: key 'model.layers': task regression2d needs 2 inputs and 1 output");
  std::string no_points = kValid;
  no_points.erase(no_points.find("points = 20\n"), std::string("points = 20\n").size());
  const auto c = io::parse_run_config(no_points, "job.toml", {"task.name=regression2d", "model.layers=[2,8,1]"});
  CHECK(c.task.points == 40);  // the 2-D default grid, 40 × 40
  CHECK(task::find_task(c.task.name).training_size(c.task) == 1600);
}

TEST_CASE("[[phase]] tables chain optimizers and are checked key by key", "[config]") {
  const std::string phases = kValid + R"(
[[phase]]
steps = 4
[phase.optimizer]
name = "lm"
mu = 0.5
[[phase]]
steps = 6
[phase.optimizer]
name = "adamw"
lr = 0.001
weight_decay = 0.1
)";
  std::string text = phases;
  text.erase(text.find("steps = 10\n"), std::string("steps = 10\n").size());  // run.steps follows the phases
  const auto c = io::parse_run_config(text, "job.toml");
  REQUIRE(c.phases.size() == 2);
  CHECK(c.run.steps == 10);
  CHECK(c.phases[0].steps == 4);
  CHECK(c.phases[0].optimizer.method == optim::Method::lm);
  CHECK(c.phases[0].optimizer.mu == 0.5);
  CHECK(c.phases[1].optimizer.method == optim::Method::adamw);
  CHECK(c.phases[1].optimizer.weight_decay == 0.1);
  CHECK(c.phases[1].optimizer.mu_scale == optim::MuScale::sum);  // inherited from [optimizer]
  CHECK(c.run.name == "job_lm_then_adamw_seed3");
  CHECK(io::phase_methods(c, "+") == "lm+adamw");
  // Two phases of one method (a rate schedule, e.g. a warm start) name the method once.
  std::string warm = text;
  warm.replace(warm.find("name = \"adamw\""), std::string("name = \"adamw\"").size(), "name = \"lm\"");
  const auto warm_start = io::parse_run_config(warm, "job.toml");
  CHECK(io::phase_methods(warm_start, "+") == "lm");
  CHECK(warm_start.run.name == "job_lm_seed3");
  CHECK(io::parse_run_config(phases, "job.toml").run.steps == 10);  // a run.steps equal to the sum is fine
  CHECK(error_of(phases, {"run.steps=12"}) ==
        "job.toml: key 'run.steps': is 12 but the phases add up to 10 (a smaller run.steps stops the run early; "
        "to run longer, lengthen a phase: --set phase[i].steps=N)");
  // A smaller run.steps cuts the phases in order; the phases keep their configured steps.
  const auto short_run = io::parse_run_config(text, "job.toml", {"run.steps=3"});
  CHECK(short_run.run.steps == 3);
  CHECK(short_run.phases[0].steps == 4);
  CHECK(run::phase_end_steps(short_run.phases, 3) == std::vector<long>{3, 3});   // phase 1 takes no step
  CHECK(run::phase_end_steps(short_run.phases, 7) == std::vector<long>{4, 7});   // phase 1 cut
  CHECK(run::phase_end_steps(short_run.phases, 10) == std::vector<long>{4, 10});  // as configured
  std::string bad_lr = text;
  bad_lr.replace(bad_lr.find("lr = 0.001"), 10, "lr = \"x\"");
  CHECK(error_of(bad_lr) == "job.toml: key 'phase[1].optimizer.lr': expected a number, got a string 'x'");
  std::string typo = text;
  typo.replace(typo.find("weight_decay"), 12, "weight_dekay");
  CHECK(error_of(typo) == "job.toml: key 'phase[1].optimizer.weight_dekay': unknown key");
  std::string no_steps = text;
  no_steps.erase(no_steps.find("steps = 6\n"), 10);
  CHECK(error_of(no_steps) == "job.toml: key 'phase[1].steps': is required: an integer >= 1");
}

TEST_CASE("phase.until ends a phase on a test, and its mistakes are one line naming the key", "[config]") {
  std::string text = kValid + R"(
[[phase]]
steps = 4
[phase.optimizer]
name = "lm"
[phase.until]
train_loss_below = 1e-3
kernel_drift_rate_below = 1e-5
[[phase]]
steps = 6
[phase.optimizer]
name = "adamw"
)";
  text.erase(text.find("steps = 10\n"), std::string("steps = 10\n").size());
  const auto c = io::parse_run_config(text, "job.toml", {"run.ntk_every=2"});
  REQUIRE(c.phases.size() == 2);
  CHECK(c.phases[0].until.train_loss_below == 1e-3);
  CHECK(c.phases[0].until.kernel_drift_rate_below == 1e-5);
  CHECK(std::isnan(c.phases[0].until.train_accuracy_at_least));
  CHECK_FALSE(c.phases[1].until.any());
  CHECK(error_of(text) ==
        "job.toml: key 'phase[0].until.kernel_drift_rate_below': needs the kernel diagnostic: set run.ntk_every "
        "(docs/diagnostics.md)");
  std::string negative = text;
  negative.replace(negative.find("1e-3"), 4, "-1.0");
  CHECK(error_of(negative, {"run.ntk_every=2"}) ==
        "job.toml: key 'phase[0].until.train_loss_below': must be a finite number > 0 (got -1)");
  std::string typo = text;
  typo.replace(typo.find("train_loss_below"), 16, "train_loss_under");
  CHECK(error_of(typo, {"run.ntk_every=2"}) == "job.toml: key 'phase[0].until.train_loss_under': unknown key");
  std::string accuracy = text;
  accuracy.replace(accuracy.find("train_loss_below = 1e-3"), 23, "train_accuracy_at_least = 1.0");
  CHECK(error_of(accuracy, {"run.ntk_every=2"}) ==
        "job.toml: key 'phase[0].until.train_accuracy_at_least': needs class targets: task regression1d has none "
        "(use train_loss_below)");
  std::string last = text + "[phase.until]\ntrain_loss_below = 1.0\n";
  CHECK(error_of(last, {"run.ntk_every=2"}) ==
        "job.toml: key 'phase[1].until': the last phase has no next phase to switch to");
  std::string empty = text;
  empty.erase(empty.find("train_loss_below = 1e-3\nkernel_drift_rate_below = 1e-5\n"),
              std::string("train_loss_below = 1e-3\nkernel_drift_rate_below = 1e-5\n").size());
  CHECK(error_of(empty) ==
        "job.toml: key 'phase[0].until': needs at least one of train_loss_below, train_accuracy_at_least, "
        "kernel_drift_rate_below");
}

TEST_CASE("Overrides phase[i].KEY set a key of one [[phase]] table, and a bad index is one line", "[config]") {
  const std::string text = kValid.substr(0, kValid.find("steps = 10\n")) +
                           kValid.substr(kValid.find("steps = 10\n") + 11) + R"(
[[phase]]
steps = 4
[phase.optimizer]
name = "lm"
[[phase]]
steps = 6
[phase.optimizer]
name = "adamw"
)";
  const auto c = io::parse_run_config(text, "job.toml",
                                      {"phase[1].optimizer.lr=0.25", "phase[0].steps=2", "phase[0].optimizer.mu=3.0"});
  CHECK(c.phases[1].optimizer.lr == 0.25);
  CHECK(c.phases[0].optimizer.lr == 0.01);  // the [optimizer] table's, untouched
  CHECK(c.phases[0].optimizer.mu == 3.0);
  CHECK(c.phases[0].steps == 2);
  CHECK(c.run.steps == 8);
  CHECK(c.effective_toml.find("lr = 0.25") != std::string::npos);  // the stored config says so
  CHECK(error_of(text, {"phase[2].steps=5"}) ==
        "job.toml: key 'phase[2].steps': no phase[2]: the config has 2 [[phase]] tables, phase[0] to phase[1]");
  CHECK(error_of(kValid, {"phase[0].steps=5"}) ==
        "job.toml: key 'phase[0].steps': no phase[0]: the config has no [[phase]] tables");
  CHECK(error_of(text, {"phase[x].steps=5"}) ==
        "job.toml: key 'phase[x].steps': 'phase[x]' is not of the form name[i] with an index i >= 0");
  CHECK(error_of(text, {"phase.steps=5"}) ==
        "job.toml: key 'phase.steps': 'phase' is a list of [[phase]] tables: name one as phase[i] (the config has 2 "
        "[[phase]] tables, phase[0] to phase[1])");
  CHECK(error_of(text, {"phase[1]=5"}) ==
        "job.toml: key 'phase[1]': names a whole [[phase]] table: set one of its keys (phase[1].KEY=value)");
  CHECK(error_of(text, {"phase[1].optimizer.lrr=0.1"}) == "job.toml: key 'phase[1].optimizer.lrr': unknown key");
  CHECK(error_of(text, {"optimizer[0].lr=0.1"}) == "job.toml: key 'optimizer[0].lr': 'optimizer' is not a list of "
                                                   "[[optimizer]] tables");
}
