#pragma once
// Where and when, as run files, run locks and sweep logs record them.
#include <string>

namespace pgdx {

// This machine's host name ("unknown" if the system does not say).
std::string host_name();
// The current time in UTC, ISO 8601 to the second: 2026-12-03T10:05:01Z.
std::string utc_now();

}  // namespace pgdx
