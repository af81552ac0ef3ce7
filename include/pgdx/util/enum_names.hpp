#pragma once
// Enum ↔ config-name tables: one table per enum gives both directions, so a name can never be
// parsed one way and printed another.
#include <optional>
#include <string>
#include <utility>

namespace pgdx {

template <class E, std::size_t N>
std::string name_of(const std::pair<E, const char*> (&table)[N], E value) {
  for (const auto& [v, name] : table)
    if (v == value) return name;
  return "?";
}

template <class E, std::size_t N>
std::optional<E> value_of(const std::pair<E, const char*> (&table)[N], const std::string& text) {
  for (const auto& [v, name] : table)
    if (text == name) return v;
  return std::nullopt;
}

// "a|b|c": the allowed names, for messages.
template <class E, std::size_t N>
std::string names_of(const std::pair<E, const char*> (&table)[N]) {
  std::string out;
  for (const auto& [v, name] : table) out += (out.empty() ? "" : "|") + std::string(name);
  return out;
}

}  // namespace pgdx
