#include "pgdx/io/run_config.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <set>
#include <sstream>
#include <type_traits>
#include <variant>

#include "pgdx/io/compatibility.hpp"
#include "pgdx/task/task_registry.hpp"
#include "pgdx/util/errors.hpp"
#include "pgdx/util/format.hpp"
#include "toml_document.hpp"

namespace pgdx::io {
namespace {

std::vector<std::string> split_key(const std::string& key) {
  std::vector<std::string> parts;
  std::stringstream ss(key);
  std::string part;
  while (std::getline(ss, part, '.')) parts.push_back(part);
  return parts;
}

std::string describe(const toml::node& node) {
  std::ostringstream os;
  if (node.is_floating_point())
    os << shortest(*node.value<double>());
  else if (node.is_string())
    os << '\'' << *node.value<std::string>() << '\'';
  else if (node.is_table())
    os << "a table";
  else
    node.visit([&os](const auto& value) { os << value; });
  return os.str();
}

std::string type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::array: return "an array";
    case toml::node_type::table: return "a table";
    default: return "a date/time";
  }
}

// `phase[1]` → ("phase", 1): the i-th table of an array of tables; a plain key has no index.
std::pair<std::string, std::optional<std::size_t>> key_step(const std::string& part, const std::string& origin,
                                                            const std::string& key) {
  const auto open = part.find('[');
  if (open == std::string::npos) return {part, std::nullopt};
  const std::string digits = part.substr(open + 1, part.size() - open - 2);
  if (open == 0 || part.back() != ']' || digits.empty() || digits.size() > 9 ||
      digits.find_first_not_of("0123456789") != std::string::npos)
    throw ConfigError(origin, key, "'" + part + "' is not of the form name[i] with an index i >= 0");
  return {part.substr(0, open), std::stoul(digits)};
}

// "the config has 3 [[phase]] tables, phase[0] to phase[2]": the indices there are, for messages.
std::string index_range(const std::string& name, std::size_t size) {
  const std::string tables = "[[" + name + "]] table";
  if (size == 0) return "the config has no " + tables + "s";
  if (size == 1) return "the config has 1 " + tables + ", " + name + "[0]";
  return "the config has " + std::to_string(size) + " " + tables + "s, " + name + "[0] to " + name + "[" +
         std::to_string(size - 1) + "]";
}

// Applies one `a.b.c=value` override; the value is parsed as TOML, else taken as a bare string.
// `name[i]` in the key names the i-th of the [[name]] tables (phase[1].optimizer.lr): the key
// names in error messages, so what a message names can be set.
void apply_override(toml::table& root, const std::string& origin, const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw ConfigError(origin, "", "override '" + assignment + "' is not of the form key=value");
  const std::string key = assignment.substr(0, eq);
  const std::string text = assignment.substr(eq + 1);
  toml::table parsed;
  try {
    parsed = toml::parse("v = " + text);
  } catch (const toml::parse_error&) {
    parsed = toml::table{{"v", text}};
  }
  const auto parts = split_key(key);
  toml::table* table = &root;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto [name, index] = key_step(parts[i], origin, key);
    const bool last = i + 1 == parts.size();
    toml::node* next = table->get(name);
    toml::array* list = next ? next->as_array() : nullptr;
    if (index) {
      if (next && !(list && list->is_array_of_tables()))
        throw ConfigError(origin, key, "'" + name + "' is not a list of [[" + name + "]] tables");
      const std::size_t size = list ? list->size() : 0;
      if (*index >= size)
        throw ConfigError(origin, key, "no " + parts[i] + ": " + index_range(name, size));
      if (last)
        throw ConfigError(origin, key,
                          "names a whole [[" + name + "]] table: set one of its keys (" + parts[i] + ".KEY=value)");
      table = list->get(*index)->as_table();
      continue;
    }
    if (list && list->is_array_of_tables() && !list->empty())
      throw ConfigError(origin, key, "'" + name + "' is a list of [[" + name + "]] tables: name one as " + name +
                                         "[i] (" + index_range(name, list->size()) + ")");
    if (last) {
      table->insert_or_assign(name, *parsed.get("v"));
      break;
    }
    if (!next) next = &table->insert(name, toml::table{}).first->second;
    if (!next->is_table()) throw ConfigError(origin, key, "override goes through '" + name + "', which is not a table");
    table = next->as_table();
  }
}

// Reads typed values by dotted key, remembering which keys were read so the rest are unknown.
class Reader {
 public:
  Reader(const toml::table& root, std::string origin) : root_(root), origin_(std::move(origin)) {}

  const toml::node* find(const std::string& key) {
    used_.insert(key);
    return root_.at_path(key).node();
  }

  bool has(const std::string& key) const { return root_.at_path(key).node() != nullptr; }
  bool was_read(const std::string& key) const { return used_.count(key) > 0; }

  void real(const std::string& key, double& out) {
    if (const toml::node* n = find(key)) {
      if (auto v = n->value<double>(); v && (n->is_floating_point() || n->is_integer()))
        out = *v;
      else
        fail(key, "expected a number, got " + type_name(*n) + " " + describe(*n));
    }
  }

  void integer(const std::string& key, long& out, long min_value) {
    if (const toml::node* n = find(key)) {
      if (!n->is_integer()) fail(key, "expected an integer, got " + type_name(*n) + " " + describe(*n));
      const long v = static_cast<long>(*n->value<std::int64_t>());
      if (v < min_value) fail(key, "must be >= " + std::to_string(min_value) + " (got " + std::to_string(v) + ")");
      out = v;
    }
  }

  template <class T>
  void count(const std::string& key, T& out, long min_value) {
    long v = static_cast<long>(out);
    integer(key, v, min_value);
    out = static_cast<T>(v);
  }

  void boolean(const std::string& key, bool& out) {
    if (const toml::node* n = find(key)) {
      if (!n->is_boolean()) fail(key, "expected true or false, got " + type_name(*n) + " " + describe(*n));
      out = *n->value<bool>();
    }
  }

  void string(const std::string& key, std::string& out) {
    if (const toml::node* n = find(key)) {
      if (!n->is_string()) fail(key, "expected a string, got " + type_name(*n) + " " + describe(*n));
      out = *n->value<std::string>();
    }
  }

  // A string naming one of an enum's values.
  template <class E, class Parse>
  void choice(const std::string& key, E& out, Parse parse, const std::string& allowed, bool required = false) {
    if (required && !has(key)) fail(key, "is required (one of " + allowed + ")");
    std::string text;
    if (!has(key)) {
      used_.insert(key);
      return;
    }
    string(key, text);
    auto v = parse(text);
    if (!v) fail(key, "must be one of " + allowed + " (got '" + text + "')");
    out = *v;
  }

  void size_list(const std::string& key, std::vector<std::size_t>& out) {
    if (const toml::node* n = find(key)) {
      const toml::array* arr = n->as_array();
      if (!arr) fail(key, "expected an array of integers, got " + type_name(*n) + " " + describe(*n));
      std::vector<std::size_t> values;
      for (const toml::node& item : *arr) {
        if (!item.is_integer() || *item.value<std::int64_t>() < 1)
          fail(key, "expected an array of integers >= 1, got " + describe(*n));
        values.push_back(static_cast<std::size_t>(*item.value<std::int64_t>()));
      }
      out = values;
    }
  }

  // Every leaf key not read is unknown.
  void reject_unknown() const { visit(root_, ""); }

  [[noreturn]] void fail(const std::string& key, const std::string& problem) const {
    throw ConfigError(origin_, key, problem);
  }

  // A validate() message "key: constraint" becomes "key 'key': constraint (got value)".
  [[noreturn]] void fail_validation(const std::invalid_argument& e) const {
    const std::string what = e.what();
    const auto colon = what.find(": ");
    const std::string key = colon == std::string::npos ? std::string() : what.substr(0, colon);
    std::string problem = colon == std::string::npos ? what : what.substr(colon + 2);
    if (const toml::node* n = root_.at_path(key).node()) problem += " (got " + describe(*n) + ")";
    throw ConfigError(origin_, key, problem);
  }

 private:
  void visit(const toml::table& table, const std::string& prefix) const {
    for (const auto& [k, node] : table) {
      const std::string key = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
      if (used_.count(key)) continue;
      if (const toml::table* sub = node.as_table()) {
        visit(*sub, key);
      } else {
        throw ConfigError(origin_, key, "unknown key");
      }
    }
  }

  const toml::table& root_;
  std::string origin_;
  std::set<std::string> used_;
};

}  // namespace

std::string phase_methods(const RunConfig& c, const std::string& separator) {
  // Consecutive phases of one method are one optimizer with a rate schedule (a warm start, say):
  // named once, so that a figure keyed on the method finds the run.
  std::string text;
  for (std::size_t i = 0; i < c.phases.size(); ++i) {
    if (i > 0 && c.phases[i].optimizer.method == c.phases[i - 1].optimizer.method) continue;
    text += (text.empty() ? "" : separator) + optim::to_string(c.phases[i].optimizer.method);
  }
  return text;
}

namespace {

std::string format_number(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

std::string default_run_name(const std::string& origin, const RunConfig& c) {
  std::string name = std::filesystem::path(origin).stem().string();
  if (name.empty()) name = "run";
  name += "_" + phase_methods(c, "_then_");
  const optim::OptimizerOptions& first = c.phases.front().optimizer;
  if (c.phases.size() == 1 && first.method == optim::Method::lm) name += "_mu" + format_number(first.mu);
  name += "_seed" + std::to_string(c.run.seed);
  return name;
}

// The optimizer.* keys of `r` into `o`; validation messages name the keys as read.
void read_optimizer(Reader& r, optim::OptimizerOptions& o) {
  r.choice("optimizer.name", o.method, optim::parse_method, "sgd|adam|adamw|lm|gn|ggn", /*required=*/true);
  r.real("optimizer.lr", o.lr);
  r.real("optimizer.beta1", o.beta1);
  r.real("optimizer.beta2", o.beta2);
  r.real("optimizer.eps", o.eps);
  r.real("optimizer.weight_decay", o.weight_decay);
  r.real("optimizer.mu", o.mu);
  r.choice("optimizer.mu_scale", o.mu_scale, optim::parse_mu_scale, "sum|mean", /*required=*/true);
  r.choice("optimizer.damping", o.damping, optim::parse_damping, "constant|loglinear|adaptive");
  r.real("optimizer.mu_final", o.mu_final);
  r.integer("optimizer.mu_decay_steps", o.mu_decay_steps, 1);
  r.real("optimizer.adaptive_grow", o.adaptive_grow);
  r.real("optimizer.adaptive_min_shrink", o.adaptive_min_shrink);
  long attempts = o.max_attempts;
  r.integer("optimizer.max_attempts", attempts, 1);
  o.max_attempts = static_cast<int>(attempts);
  r.real("optimizer.mu_min", o.mu_min);
  r.real("optimizer.mu_max", o.mu_max);
  long retries = o.cholesky_retries;
  r.integer("optimizer.cholesky_retries", retries, 0);
  o.cholesky_retries = static_cast<int>(retries);
  r.real("optimizer.cholesky_raise", o.cholesky_raise);
  r.choice("optimizer.solve_space", o.solve_space, optim::parse_solve_space, "auto|sample|parameter");
  r.real("optimizer.gn_cutoff", o.gn_cutoff);
  r.choice("optimizer.gn_cutoff_mode", o.gn_cutoff_mode, optim::parse_cutoff_mode, "relative|absolute");
  r.integer("optimizer.warmup_steps", o.warmup_steps, 0);
  r.choice("optimizer.solver", o.solver, optim::parse_curvature_solver, "direct|cg");
  r.real("optimizer.cg_tolerance", o.cg_tolerance);
  r.integer("optimizer.cg_max_iterations", o.cg_max_iterations, 1);
  r.real("optimizer.armijo_shrink", o.armijo_shrink);
  r.real("optimizer.armijo_c", o.armijo_c);
  r.integer("optimizer.armijo_max_trials", o.armijo_max_trials, 1);
  r.choice("optimizer.armijo_failure", o.armijo_failure, optim::parse_armijo_failure, "smallest|skip");

  try {
    o.validate();
  } catch (const std::invalid_argument& e) {
    r.fail_validation(e);
  }
}

// Reads one task.* key into its TaskOptions field, typed as the field is.
void read_task_key(Reader& r, const task::TaskKey& key, task::TaskOptions& o) {
  const std::string name = "task." + key.name;
  std::visit(
      [&](auto field) {
        using Field = std::remove_reference_t<decltype(o.*field)>;
        if constexpr (std::is_same_v<Field, std::size_t>)
          r.count(name, o.*field, 1);
        else if constexpr (std::is_same_v<Field, double>)
          r.real(name, o.*field);
        else if constexpr (std::is_same_v<Field, std::string>)
          r.string(name, o.*field);
        else
          r.size_list(name, o.*field);
      },
      key.field);
}

// task.name, then the keys its registry entry declares. Keys of other tasks are type-checked and
// otherwise ignored, so `--set task.name=…` works on a job file written for another task; a key
// of no task is unknown (reject_unknown).
void read_task(Reader& r, task::TaskOptions& o) {
  r.string("task.name", o.name);
  const task::TaskEntry* entry = nullptr;
  try {
    entry = &task::find_task(o.name);
  } catch (const std::invalid_argument&) {
    r.fail("task.name", "must be one of " + task::task_names() + " (got '" + o.name + "')");
  }
  for (const task::TaskKey& key : entry->keys) read_task_key(r, key, o);
  task::TaskOptions ignored;
  for (const task::TaskEntry& other : task::task_registry())
    for (const task::TaskKey& key : other.keys)
      if (!r.was_read("task." + key.name)) read_task_key(r, key, ignored);
  entry->resolve_defaults(o);
}

// The problem's keys (how K is formed and laid out): in [optimizer], where users look for them, but
// one value for the whole run — every phase shares the problem.
const char* const kProblemKeys[] = {"gram", "gram_block", "gram_distributed_min_rows", "sample_block"};

void read_problem(Reader& r, problem::ProblemOptions& o) {
  r.choice("optimizer.gram", o.gram, problem::parse_gram_mode, "auto|structured|explicit");
  long gram_block = o.gram_block;
  r.integer("optimizer.gram_block", gram_block, 1);
  o.gram_block = static_cast<int>(gram_block);
  r.integer("optimizer.gram_distributed_min_rows", o.gram_distributed_min_rows, 1);
  long sample_block = static_cast<long>(o.sample_block);
  r.integer("optimizer.sample_block", sample_block, 0);
  o.sample_block = static_cast<std::size_t>(sample_block);
  try {
    o.validate();
  } catch (const std::invalid_argument& e) {
    r.fail_validation(e);
  }
}

// [phase.until]: the tests that end a phase before its `steps` (run/phase_condition.hpp).
void read_phase_condition(Reader& r, run::PhaseCondition& until) {
  if (!r.has("until")) return;
  r.real("until.train_loss_below", until.train_loss_below);
  r.real("until.train_accuracy_at_least", until.train_accuracy_at_least);
  r.real("until.kernel_drift_rate_below", until.kernel_drift_rate_below);
  if (!until.any())
    r.fail("until", "needs at least one of train_loss_below, train_accuracy_at_least, kernel_drift_rate_below");
  for (const auto& [key, value] : {std::pair{"until.train_loss_below", until.train_loss_below},
                                   std::pair{"until.kernel_drift_rate_below", until.kernel_drift_rate_below}})
    if (r.has(key) && !(std::isfinite(value) && value > 0))
      r.fail(key, "must be a finite number > 0 (got " + shortest(value) + ")");
  if (r.has("until.train_accuracy_at_least") &&
      !(until.train_accuracy_at_least > 0 && until.train_accuracy_at_least <= 1))
    r.fail("until.train_accuracy_at_least", "must be in (0, 1] (got " + shortest(until.train_accuracy_at_least) + ")");
}

// One [[phase]] entry: `steps` and an [phase.optimizer] table whose keys override the run's
// [optimizer] table. Read through a merged document so every optimizer key is checked exactly as
// at top level; messages name the key as phase[i].optimizer.KEY.
run::Phase read_phase(const toml::table& root, const toml::table& entry, std::size_t index, const std::string& origin) {
  const std::string where = "phase[" + std::to_string(index) + "]";
  toml::table merged;
  merged.insert("optimizer", root.contains("optimizer") && root["optimizer"].is_table() ? *root["optimizer"].as_table()
                                                                                           : toml::table{});
  toml::table& optimizer = *merged["optimizer"].as_table();
  for (const char* key : kProblemKeys) optimizer.erase(key);  // the run's, read once
  for (const auto& [key, node] : entry) {
    const std::string name(key.str());
    if (name == "steps" || name == "until") continue;
    if (name != "optimizer" || !node.is_table())
      throw ConfigError(origin, where + "." + name, name == "optimizer" ? "must be a table" : "unknown key");
    for (const auto& [sub, value] : *node.as_table()) {
      for (const char* problem_key : kProblemKeys)
        if (sub.str() == problem_key)
          throw ConfigError(origin, where + ".optimizer." + problem_key,
                            "applies to the whole run: set it in the top-level [optimizer] table");
      optimizer.insert_or_assign(sub.str(), value);
    }
  }
  run::Phase phase;
  const toml::node* steps = entry.get("steps");
  if (!steps || !steps->is_integer() || *steps->value<std::int64_t>() < 1)
    throw ConfigError(origin, where + ".steps", "is required: an integer >= 1");
  phase.steps = static_cast<long>(*steps->value<std::int64_t>());
  if (const toml::node* until = entry.get("until")) {
    if (!until->is_table()) throw ConfigError(origin, where + ".until", "must be a table");
    merged.insert("until", *until->as_table());
  }
  Reader r(merged, origin);
  try {
    read_optimizer(r, phase.optimizer);
    read_phase_condition(r, phase.until);
    r.reject_unknown();
  } catch (const ConfigError& e) {
    const bool own = e.key().rfind("optimizer", 0) == 0 || e.key().rfind("until", 0) == 0;
    throw ConfigError(origin, own ? where + "." + e.key() : e.key(), e.problem());
  }
  return phase;
}

RunConfig read(toml::table& root, const std::string& origin, const std::vector<std::string>& overrides) {
  if (root.contains("sweep"))
    throw ConfigError(origin, "sweep", "this file defines a sweep: run it with `pgdx sweep " + origin + "`");
  for (const std::string& assignment : overrides) apply_override(root, origin, assignment);
  RunConfig c;
  c.file = origin;
  c.task.job_file = origin;
  c.overrides = overrides;
  Reader r(root, origin);

  long seed = 0;
  r.integer("run.seed", seed, 0);
  c.run.seed = static_cast<std::uint64_t>(seed);
  r.integer("run.steps", c.run.steps, 0);
  r.integer("run.record_every", c.run.record_every, 1);
  std::string schedule = "every";
  r.string("run.record_schedule", schedule);
  if (schedule != "every" && schedule != "log")
    r.fail("run.record_schedule", "must be one of every|log (got '" + schedule + "')");
  c.run.record_log = schedule == "log";
  r.count("run.batch_size", c.run.batch_size, 0);
  r.string("run.name", c.run.name);
  r.integer("run.progress_every", c.run.progress_every, 0);
  r.integer("run.checkpoint_every", c.run.checkpoint_every, 0);
  r.integer("run.full_spectrum_every", c.run.full_spectrum_every, 1);
  r.integer("run.ntk_every", c.run.ntk_every, 0);
  r.count("run.ntk_probe", c.run.ntk_probe, 1);
  r.real("run.grokking_test_accuracy", c.run.grokking_test_accuracy);

  read_task(r, c.task);
  if (!r.has("run.ntk_probe")) {  // K of about kDefaultProbeRows rows, whatever the task's outputs
    const std::size_t outputs = task::find_task(c.task.name).dimensions(c.task).second;
    c.run.ntk_probe = std::max<std::size_t>(1, kDefaultProbeRows / std::max<std::size_t>(outputs, 1));
  }

  r.choice("model.kind", c.model.kind, model::parse_model_kind, "mlp|committee|transformer");
  r.size_list("model.layers", c.model.layers);
  r.choice("model.activation", c.model.activation, model::parse_activation,
           "tanh|relu|quadratic|identity|polynomial|gelu");
  r.real("model.activation_epsilon", c.model.activation_epsilon);
  r.boolean("model.centered", c.model.centered);
  const std::string inits = "kaiming_uniform|glorot_uniform|glorot_normal|he_uniform|he_normal|standard_normal|zeros";
  r.choice("model.init", c.model.init, model::parse_init, inits);
  r.choice("model.bias_init", c.model.bias_init, model::parse_init, inits);
  r.boolean("model.bias", c.model.bias);
  r.real("model.init_scale", c.model.init_scale);
  r.real("model.output_scale", c.model.output_scale);
  model::TransformerOptions& t = c.model.transformer;
  r.count("model.width", t.width, 1);
  r.count("model.heads", t.heads, 1);
  r.count("model.blocks", t.blocks, 1);
  r.count("model.mlp_width", t.mlp_width, 1);
  r.boolean("model.final_norm", t.final_norm);
  if (c.model.kind == model::ModelKind::transformer) {
    if (!r.has("model.activation")) c.model.activation = model::Activation::gelu;
    t.bias = c.model.bias;
    // Vocabulary and context are the task's (a sequence task's dimensions: tokens per sample, logits).
    const task::TaskEntry& entry = task::find_task(c.task.name);  // read_task resolved its defaults
    if (entry.token_sequence) {
      const auto [context, vocab] = entry.dimensions(c.task);
      t.context = context;
      t.max_positions = context + 1;  // PyTorch's table of the cited model is one longer than used
      t.vocab = vocab;
    }
  }

  r.choice("loss.reduction", c.reduction, loss::parse_reduction, "sum|mean|elementwise_mean", /*required=*/true);
  r.real("loss.residual_scale", c.residual_scale);
  r.choice("loss.kind", c.loss_kind, loss::parse_loss_kind, "mse|cross_entropy");
  if (!(std::isfinite(c.residual_scale) && c.residual_scale > 0))
    r.fail("loss.residual_scale", "must be a finite number > 0 (got " + shortest(c.residual_scale) + ")");

  if (const toml::node* phases = root.get("phase")) {
    const toml::array* list = phases->as_array();
    if (!list || list->empty() || !list->is_array_of_tables())
      r.fail("phase", "must be one or more [[phase]] tables");
    r.find("phase");  // read here, not by the generic key walk
    for (const toml::node& item : *list)
      c.phases.push_back(read_phase(root, *item.as_table(), c.phases.size(), origin));
    read_problem(r, c.problem);
    if (root.contains("optimizer")) r.find("optimizer");  // merged into every phase
    if (c.phases.back().until.any())
      r.fail("phase[" + std::to_string(c.phases.size() - 1) + "].until", "the last phase has no next phase to switch to");
    for (std::size_t i = 0; i < c.phases.size(); ++i)
      if (c.phases[i].until.needs_kernel() && c.run.ntk_every == 0)
        r.fail("phase[" + std::to_string(i) + "].until.kernel_drift_rate_below",
               "needs the kernel diagnostic: set run.ntk_every (docs/diagnostics.md)");
    // run.steps may stop the run before the phases' end (run::phase_end_steps), never extend it.
    long total = 0;
    for (const run::Phase& phase : c.phases) total += phase.steps;
    if (r.has("run.steps") && c.run.steps > total)
      r.fail("run.steps", "is " + std::to_string(c.run.steps) + " but the phases add up to " + std::to_string(total) +
                              " (a smaller run.steps stops the run early; to run longer, lengthen a phase: "
                              "--set phase[i].steps=N)");
    if (!r.has("run.steps")) c.run.steps = total;
  } else {
    run::Phase only{c.run.steps, {}, {}};
    read_optimizer(r, only.optimizer);
    read_problem(r, c.problem);
    c.phases.push_back(only);
  }
  r.reject_unknown();
  try {
    c.run.validate();
    task::find_task(c.task.name).validate(c.task);
    c.model.validate();
  } catch (const std::invalid_argument& e) {
    r.fail_validation(e);
  }
  check_compatibility(c);
  if (c.run.name.empty()) c.run.name = default_run_name(origin, c);
  if (c.run.name.find('/') != std::string::npos) r.fail("run.name", "must not contain '/'");

  std::ostringstream text;
  text << root << "\n";
  c.effective_toml = text.str();
  return c;
}

}  // namespace

run::TrainerOptions trainer_options(const RunConfig& c) {
  run::TrainerOptions o;
  o.seed = c.run.seed;
  o.steps = c.run.steps;
  o.record_every = c.run.record_every;
  o.record_log = c.run.record_log;
  o.batch_size = c.run.batch_size;
  o.reduction = c.reduction;
  o.loss_kind = c.loss_kind;
  o.residual_scale = c.residual_scale;
  o.grokking_test_accuracy = c.run.grokking_test_accuracy;
  o.problem = c.problem;
  o.phases = c.phases;
  return o;
}

void RunOptions::validate() const {
  if (steps < 0) throw std::invalid_argument("run.steps: must be >= 0");
  if (record_every < 1) throw std::invalid_argument("run.record_every: must be >= 1");
  if (!(grokking_test_accuracy > 0.0 && grokking_test_accuracy <= 1.0))
    throw std::invalid_argument("run.grokking_test_accuracy: must be in (0, 1]");
}

RunConfig parse_run_config(const std::string& toml_text, const std::string& origin,
                           const std::vector<std::string>& overrides) {
  toml::table root = parse_toml(toml_text, origin);
  return read(root, origin, overrides);
}

RunConfig load_run_config(const std::string& path, const std::vector<std::string>& overrides) {
  toml::table root = read_toml_file(path);
  return read(root, path, overrides);
}

bool same_run_except_steps(const std::string& effective_toml_a, const std::string& effective_toml_b) {
  try {
    toml::table a = toml::parse(effective_toml_a), b = toml::parse(effective_toml_b);
    if (a.contains("phase") || b.contains("phase")) return false;
    for (toml::table* t : {&a, &b})
      if (toml::table* run = (*t)["run"].as_table()) run->erase("steps");
    return a == b;
  } catch (const toml::parse_error&) {
    return false;
  }
}

}  // namespace pgdx::io
