#include "pgdx/io/sweep_config.hpp"

#include <toml++/toml.h>

#include <filesystem>
#include <sstream>

#include "pgdx/util/errors.hpp"
#include "pgdx/util/format.hpp"
#include "toml_document.hpp"

namespace pgdx::io {
namespace {

std::string literal(const toml::node& node) {
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

// Leaves of the sweep table: key path → list of values.
void collect(const toml::table& table, const std::string& prefix, const std::string& file,
             std::vector<std::string>& keys, std::vector<std::vector<std::string>>& values) {
  for (const auto& [k, node] : table) {
    const std::string key = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    if (const toml::table* sub = node.as_table()) {
      collect(*sub, key, file, keys, values);
      continue;
    }
    const toml::array* list = node.as_array();
    if (!list || list->empty())
      throw ConfigError(file, "sweep." + key, "expected a non-empty list of values");
    std::vector<std::string> texts;
    for (const toml::node& item : *list) texts.push_back(literal(item));
    keys.push_back(key);
    values.push_back(texts);
  }
}

// Value text for a file name: quotes dropped, anything unusual replaced.
std::string file_safe(std::string text) {
  if (text.size() >= 2 && (text.front() == '"' || text.front() == '\'')) text = text.substr(1, text.size() - 2);
  for (char& c : text)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '+' || c == '-')) c = '_';
  return text;
}

}  // namespace

std::size_t SweepSpec::count() const {
  std::size_t n = 1;
  for (const auto& v : values_) n *= v.size();
  return n;
}

std::vector<std::string> SweepSpec::point_overrides(std::size_t k) const {
  std::vector<std::string> out(keys_.size());
  for (std::size_t i = keys_.size(); i-- > 0;) {
    out[i] = keys_[i] + "=" + values_[i][k % values_[i].size()];
    k /= values_[i].size();
  }
  return out;
}

std::string SweepSpec::point_name(std::size_t k) const {
  std::string name = prefix_;
  for (const std::string& o : point_overrides(k)) {
    const auto eq = o.find('=');
    name += "__" + o.substr(0, eq) + "-" + file_safe(o.substr(eq + 1));
  }
  return name;
}

std::string SweepSpec::stem() const { return std::filesystem::path(file_).stem().string(); }

RunConfig SweepSpec::point_config(std::size_t k) const {
  std::vector<std::string> overrides = common_overrides_;
  for (const std::string& o : point_overrides(k)) overrides.push_back(o);
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
        spec.values_[i] = {o.substr(o.find('=') + 1)};
        swept = true;
      }
    if (!swept) spec.common_overrides_.push_back(o);
  }
  if (const auto* name = root.at_path("run.name").as_string()) spec.prefix_ = name->get();
  if (spec.prefix_.empty()) spec.prefix_ = spec.stem();
  std::ostringstream base;
  base << root << "\n";
  spec.base_toml_ = base.str();
  for (std::size_t k = 0; k < spec.count(); ++k) spec.point_config(k);  // validate every point
  return spec;
}

}  // namespace pgdx::io
