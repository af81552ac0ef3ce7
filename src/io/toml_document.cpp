#include "toml_document.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "pgdx/util/errors.hpp"

namespace pgdx::io {

toml::table parse_toml(const std::string& text, const std::string& origin) {
  try {
    return toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    throw ConfigError(origin, "",
                      "TOML syntax error at line " + std::to_string(e.source().begin.line) + ": " +
                          std::string(e.description()));
  }
}

toml::table read_toml_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError(path, "", std::filesystem::exists(path) ? "cannot be read" : "no such file");
  std::stringstream text;
  text << in.rdbuf();
  return parse_toml(text.str(), path);
}

}  // namespace pgdx::io
