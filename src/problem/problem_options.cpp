#include "pgdx/problem/problem_options.hpp"

#include <stdexcept>
#include <utility>

#include "pgdx/util/enum_names.hpp"

namespace pgdx::problem {
namespace {

const std::pair<GramMode, const char*> kGramModes[] = {
    {GramMode::automatic, "auto"}, {GramMode::structured, "structured"}, {GramMode::explicit_rows, "explicit"}};

}  // namespace

std::string to_string(GramMode g) { return name_of(kGramModes, g); }
std::optional<GramMode> parse_gram_mode(const std::string& s) { return value_of(kGramModes, s); }

void ProblemOptions::validate() const {
  if (gram_block < 1) throw std::invalid_argument("optimizer.gram_block: must be >= 1");
  if (gram_distributed_min_rows < 1) throw std::invalid_argument("optimizer.gram_distributed_min_rows: must be >= 1");
}

}  // namespace pgdx::problem
