#pragma once
// Reading a TOML document for the config loaders (run configs and sweeps), with the error policy
// of DESIGN.md §5: a missing file or a syntax error is one ConfigError naming the file.
// Private to src/io: nothing outside io sees toml++ types.
#include <toml++/toml.h>

#include <string>

namespace pgdx::io {

toml::table parse_toml(const std::string& text, const std::string& origin);
toml::table read_toml_file(const std::string& path);

}  // namespace pgdx::io
