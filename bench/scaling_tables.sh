#!/usr/bin/env bash
# The tables of docs/scaling.md: compiles bench/scaling_tables.cpp with the cost model (no
# dependencies) into build/scaling_tables and runs it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mkdir -p build
c++ -std=c++17 -O2 -Wall -Wextra -Isrc/app bench/scaling_tables.cpp src/app/cost_model.cpp -o build/scaling_tables
build/scaling_tables
