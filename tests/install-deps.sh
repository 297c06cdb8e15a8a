#!/usr/bin/env bash
# Installs from Debian what building scopejobs and its tests needs, when it
# is missing. Safe to run again: with everything present it does nothing.
set -eu

packages=(
    g++ clang cmake ninja-build meson clang-format pkg-config
    libboost1.81-dev libboost-json1.81-dev libboost-test1.81-dev
    libboost-filesystem1.81-dev libsqlite3-dev
    libcpp-httplib-dev libssl-dev zlib1g-dev libbrotli-dev
    libclang-rt-14-dev
)

missing=()
for package in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
    [ "$status" = "install ok installed" ] || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing from Debian: ${missing[*]}"
as_root=()
[ "$(id -u)" -eq 0 ] || as_root=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
