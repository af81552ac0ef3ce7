#pragma once
// Number formatting shared by config messages and file names.
#include <string>

namespace pgdx {

// The shortest decimal text that reads back as exactly v (what a user most likely typed).
std::string shortest(double v);

}  // namespace pgdx
