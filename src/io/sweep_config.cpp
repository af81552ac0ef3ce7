#include "pgdx/io/sweep_config.hpp"

#include <toml++/toml.h>

#include <filesystem>
#include <sstream>

#include "pgdx/util/errors.hpp"
#include "pgdx/util/format.hpp"
#include "toml_document.hpp"

namespace pgdx::io {
namespace {

// TOML text of a value, without spaces (so `--list` lines split on blanks).
std::string literal(const toml::node& node) {
  if (const toml::array* items = node.as_array()) {
    std::string text = "[";
    for (const toml::node& item : *items) text += (text.size() > 1 ? "," : "") + literal(item);
    return text + "]";
  }
  if (node.is_floating_point()) {
    std::string text = shortest(*node.value<double>());
    // keep it a TOML float (1e-05 is one; "10" would become an integer)
    if (text.find_first_of(".eEn") == std::string::npos) text += ".0";
    return text;
  }
  std::ostringstream os;
  node.visit([&os](const auto& value) { os << value; });
  return os.str();
}

// A value's name inside a file name: quotes and brackets dropped, array items joined by 'x'
// ([3, 3] → 3x3), anything else unusual replaced.
std::string label(const toml::node& node) {
  if (const toml::array* items = node.as_array()) {
    std::string text;
    for (const toml::node& item : *items) text += (text.empty() ? "" : "x") + label(item);
    return text;
  }
  std::string text = node.is_string() ? *node.value<std::string>() : literal(node);
  for (char& c : text)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '+' || c == '-')) c = '_';
  return text;
}

// Leaves of the sweep table: key path → list of values. A list of inline tables is one axis whose
// every entry sets several keys together (linked values, e.g. each optimizer with its own rate).
void collect(const toml::table& table, const std::string& prefix, const std::string& file,
             std::vector<std::string>& keys, std::vector<std::vector<SweepValue>>& values) {
  for (const auto& [k, node] : table) {
    const std::string key = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    if (const toml::table* sub = node.as_table()) {
      collect(*sub, key, file, keys, values);
      continue;
    }
    const toml::array* list = node.as_array();
    if (!list || list->empty())
      throw ConfigError(file, "sweep." + key, "expected a non-empty list of values");
    std::vector<SweepValue> axis;
    for (const toml::node& item : *list) {
      SweepValue value;
      if (const toml::table* linked = item.as_table()) {
        // Keys are relative to the axis key, or absolute when quoted with a dot ("model.output_scale"),
        // so one entry can set keys of several tables. `label` names the entry in file names;
        // without it: the entry's `name` first (it says most), then its other values in key order.
        if (const toml::node* name = linked->get("name")) value.label = label(*name);
        std::string explicit_label;
        for (const auto& [sub_key, sub_node] : *linked) {
          const std::string sub(sub_key.str());
          if (sub_node.is_table())
            throw ConfigError(file, "sweep." + key, "a linked entry must set plain keys, not a table");
          if (sub == "label") {
            if (!sub_node.is_string()) throw ConfigError(file, "sweep." + key, "a linked entry's label must be a string");
            explicit_label = label(sub_node);
            continue;
          }
          const std::string full = sub.find('.') == std::string::npos ? key + "." + sub : sub;
          value.assignments.push_back(full + "=" + literal(sub_node));
          if (sub != "name") value.label += (value.label.empty() ? "" : "_") + label(sub_node);
        }
        if (!explicit_label.empty()) value.label = explicit_label;
        if (value.assignments.empty()) throw ConfigError(file, "sweep." + key, "a linked entry is empty");
      } else {
        value.assignments.push_back(key + "=" + literal(item));
        value.label = label(item);
      }
      axis.push_back(value);
    }
    keys.push_back(key);
    values.push_back(axis);
  }
}

}  // namespace

std::size_t SweepSpec::count() const {
  std::size_t n = 1;
  for (const auto& v : values_) n *= v.size();
  return n;
}

std::vector<const SweepValue*> SweepSpec::point_values(std::size_t k) const {
  std::vector<const SweepValue*> out(keys_.size());
  for (std::size_t i = keys_.size(); i-- > 0;) {
    out[i] = &values_[i][k % values_[i].size()];
    k /= values_[i].size();
  }
  return out;
}

std::vector<std::string> SweepSpec::point_overrides(std::size_t k) const {
  std::vector<std::string> out;
  for (const SweepValue* value : point_values(k))
    out.insert(out.end(), value->assignments.begin(), value->assignments.end());
  return out;
}

std::string SweepSpec::point_name(std::size_t k) const {
  std::string name = prefix_;
  const auto values = point_values(k);
  for (std::size_t i = 0; i < keys_.size(); ++i) name += "__" + keys_[i] + "-" + values[i]->label;
  return name;
}

std::string SweepSpec::stem() const { return std::filesystem::path(file_).stem().string(); }

RunConfig SweepSpec::point_config(std::size_t k) const {
  // The point's values first, so a --set of a key inside a linked entry still wins.
  std::vector<std::string> overrides = point_overrides(k);
  for (const std::string& o : common_overrides_) overrides.push_back(o);
  overrides.push_back("run.name=\"" + point_name(k) + "\"");
  try {
    return parse_run_config(base_toml_, file_, overrides);
  } catch (const ConfigError& e) {
    if (keys_.empty()) throw;
    std::string point;
    for (const std::string& o : point_overrides(k)) point += (point.empty() ? "" : ", ") + o;
    throw ConfigError(file_, e.key(), e.problem() + " [sweep point " + std::to_string(k) + ": " + point + "]");
  }
}

SweepSpec load_sweep(const std::string& path, const std::vector<std::string>& overrides) {
  toml::table root = read_toml_file(path);
  SweepSpec spec;
  spec.file_ = path;
  if (const toml::table* sweep = root["sweep"].as_table()) collect(*sweep, "", path, spec.keys_, spec.values_);
  else if (root.contains("sweep")) throw ConfigError(path, "sweep", "must be a table of key = [values]");
  root.erase("sweep");
  for (const std::string& o : overrides) {
    const std::string key = o.substr(0, o.find('='));
    bool swept = false;
    for (std::size_t i = 0; i < spec.keys_.size(); ++i)
      if (spec.keys_[i] == key) {  // a --set of a swept key: its list becomes that one value
        const std::string text = o.substr(o.find('=') + 1);
        SweepValue value{{o}, text};
        try {
          const toml::table parsed = toml::parse("v = " + text);
          value.label = label(*parsed.get("v"));
        } catch (const toml::parse_error&) {
          value.label = label(toml::value<std::string>(text));
        }
        spec.values_[i] = {value};
        swept = true;
      }
    if (!swept) spec.common_overrides_.push_back(o);
  }
  if (const auto* name = root.at_path("run.name").as_string()) spec.prefix_ = name->get();
  // --set run.name names the points too (e.g. one-point sweeps of one job with different options).
  for (const std::string& o : spec.common_overrides_)
    if (o.substr(0, o.find('=')) == "run.name") {
      const std::string text = o.substr(o.find('=') + 1);
      try {
        const toml::table parsed = toml::parse("v = " + text);
        if (const auto* name = parsed.get("v")->as_string()) spec.prefix_ = name->get();
      } catch (const toml::parse_error&) {
        spec.prefix_ = text;  // a bare word, as --set accepts it
      }
    }
  if (spec.prefix_.empty()) spec.prefix_ = spec.stem();
  std::ostringstream base;
  base << root << "\n";
  spec.base_toml_ = base.str();
  for (std::size_t k = 0; k < spec.count(); ++k) spec.point_config(k);  // validate every point
  return spec;
}

}  // namespace pgdx::io
