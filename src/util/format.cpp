#include "pgdx/util/format.hpp"

#include <cstdio>
#include <cstdlib>

namespace pgdx {

std::string shortest(double v) {
  char buffer[32];
  for (int precision = 6; precision <= 17; ++precision) {
    std::snprintf(buffer, sizeof buffer, "%.*g", precision, v);
    if (std::strtod(buffer, nullptr) == v) break;
  }
  return buffer;
}

}  // namespace pgdx
