// The registries say, without building anything, what the built task or model then does; and
// the compatibility check asks capabilities.
#include <catch2/catch.hpp>

#include "pgdx/io/run_config.hpp"
#include "pgdx/model/model_registry.hpp"
#include "pgdx/task/task_registry.hpp"
#include "pgdx/util/errors.hpp"

using namespace pgdx;

namespace {

// Small instances of every task (the MNIST digits come from scripts/fetch_mnist.sh).
task::TaskOptions small(const std::string& name) {
  task::TaskOptions o;
  o.name = name;
  o.points = 9;
  o.train_per_class = 3;
  o.data_dir = std::string(PGDX_SOURCE_DIR) + "/data/mnist";
  o.interior_points = 12;
  o.boundary_points = 8;
  o.solution_grid = 5;
  o.modulus = 7;
  o.input_dim = 6;
  o.train_points = 10;
  o.test_points = 4;
  o.subspace_points = 8;
  task::find_task(name).resolve_defaults(o);
  return o;
}

std::string error_of(const std::string& text, const std::vector<std::string>& overrides) {
  try {
    io::parse_run_config(text, "job.toml", overrides);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

const std::string kJob = R"(
[task]
name = "regression1d"
points = 20
[model]
layers = [1, 8, 1]
[loss]
reduction = "mean"
[optimizer]
name = "lm"
mu_scale = "sum"
)";

}  // namespace

TEST_CASE("every task entry agrees with the task it builds", "[registry]") {
  REQUIRE(task::task_registry().size() == 7);
  for (const task::TaskEntry& entry : task::task_registry()) {
    INFO("task " << entry.name);
    const task::TaskOptions o = small(entry.name);
    REQUIRE_NOTHROW(entry.validate(o));
    const auto built = entry.make(o, 5);
    CHECK(built->name() == entry.name);
    const auto [inputs, outputs] = entry.dimensions(o);
    CHECK(built->train().x.rows() == inputs);
    CHECK(built->train().y.rows() == outputs);
    CHECK(built->train().size() == entry.training_size(o));
    CHECK(built->classification() == entry.classification);
    CHECK(built->residual_kind() == entry.residual_kind);
  }
  CHECK(task::task_names() == "regression1d|regression2d|pinn_poisson|mnist|modular_mlp|polynomial_teacher|"
                                "modular_addition_sequence");
  CHECK_THROWS_AS(task::find_task("cifar"), std::invalid_argument);
}

TEST_CASE("every model entry's capabilities and parameter count are the built model's", "[registry]") {
  for (const auto& [kind, layers, bias] : {std::tuple{model::ModelKind::mlp, std::vector<std::size_t>{3, 5, 2}, true},
                                           {model::ModelKind::mlp, std::vector<std::size_t>{3, 4, 4, 1}, false},
                                           {model::ModelKind::committee, std::vector<std::size_t>{6, 5, 1}, false}}) {
    model::MlpOptions o;
    o.kind = kind;
    o.layers = layers;
    o.bias = bias;
    o.activation = model::Activation::tanh;
    REQUIRE_NOTHROW(o.validate());
    const model::ModelEntry& entry = model::find_model(kind);
    const auto built = entry.make(o, 3);
    INFO("model " << model::to_string(kind) << ", " << layers.size() - 1 << " layers");
    CHECK(built->num_params() == entry.parameter_count(o));
    const model::ModelCapabilities c = entry.capabilities(o);
    linalg::Matrix x(layers.front(), 4, 0.25), g;
    model::GramFactors factors;
    CHECK(built->gram_factors(x, factors) == c.structured_gram);
    CHECK(built->parameter_gram(x, g) == c.parameter_gram);
    CHECK(c.parameter_gram == c.why_no_parameter_gram.empty());
    CHECK(c.input_derivatives == c.why_no_input_derivatives.empty());
  }
}

TEST_CASE("the compatibility check names the key a capability depends on", "[registry][config]") {
  const std::vector<std::string> pinn = {"task.name=pinn_poisson", "model.layers=[2,8,1]"};
  auto with = [&](std::vector<std::string> extra) {
    extra.insert(extra.begin(), pinn.begin(), pinn.end());
    return error_of(kJob, extra);
  };
  CHECK(with({}) == "(no error)");
  CHECK(with({"model.kind=committee", "model.bias=false", "model.activation=polynomial"}) ==
        "job.toml: key 'model.kind': task pinn_poisson takes second derivatives of the model: use model.kind = \"mlp\"");
  CHECK(with({"model.activation=relu"}) == "job.toml: key 'model.activation': task pinn_poisson takes second "
                                           "derivatives of the model: use tanh, quadratic or identity, not relu");
  // A key of another task is type-checked, then ignored (so --set task.name works on any job file);
  // a key of no task is unknown.
  CHECK(error_of(kJob, {"task.modulus=5"}) == "(no error)");
  CHECK(error_of(kJob, {"task.modulus=\"five\""}) ==
        "job.toml: key 'task.modulus': expected an integer, got a string 'five'");
  CHECK(error_of(kJob, {"task.colour=5"}) == "job.toml: key 'task.colour': unknown key");
}
