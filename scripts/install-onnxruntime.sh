#!/usr/bin/env bash
# Installs the CPU build of ONNX Runtime 1.24.1 into a project-local folder.
#
# The library comes from the npm package onnxruntime-node@1.24.1, taken with
# `npm pack` and unpacked with tar. `npm install` is never used: its install
# script tries to download CUDA parts and fails offline.
#
# Usage: scripts/install-onnxruntime.sh [DEST_DIR]   (default: third_party/onnxruntime)
# Idempotent: when the library is already there with the right checksum it
# only verifies it and exits.
#
# ORT_NPM_TGZ=path/to/onnxruntime-node-1.24.1.tgz uses that package file
# instead of `npm pack` (an offline mirror); its library is checksummed the same.
set -euo pipefail

ORT_VERSION=1.24.1
ORT_SHA256=53ef1ac028dd1b05554b8da28d9159eb3876f99868193d2aaa6e67f0243c23d4
ORT_MEMBER=package/bin/napi-v6/linux/x64/libonnxruntime.so.1

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dest=${1:-$root/third_party/onnxruntime}
lib=$dest/libonnxruntime.so.$ORT_VERSION

die() { echo "install-onnxruntime: $*" >&2; exit 1; }

sha_of() { sha256sum "$1" | cut -d' ' -f1; }

if [[ -f $lib ]]; then
  [[ $(sha_of "$lib") == "$ORT_SHA256" ]] && exit 0
  echo "install-onnxruntime: $lib has the wrong checksum; reinstalling" >&2
  rm -f "$lib"
fi

[[ $(uname -s)/$(uname -m) == Linux/x86_64 ]] ||
  die "only linux/x86_64 is supported by this script (this is $(uname -s)/$(uname -m)); set ONNXRUNTIME_LIB to an ONNX Runtime $ORT_VERSION library instead"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tgz=${ORT_NPM_TGZ:-}
if [[ -z $tgz ]]; then
  command -v npm >/dev/null 2>&1 ||
    die "npm not found: install Node.js and npm (Debian: apt-get install -y npm), then rerun $0"
  echo "install-onnxruntime: fetching onnxruntime-node@$ORT_VERSION with npm pack" >&2
  (cd "$tmp" && npm pack --silent "onnxruntime-node@$ORT_VERSION" >/dev/null) ||
    die "npm pack onnxruntime-node@$ORT_VERSION failed (is the npm registry reachable?)"
  tgz=$tmp/onnxruntime-node-$ORT_VERSION.tgz
fi
tar -xzf "$tgz" -C "$tmp" "$ORT_MEMBER" 2>/dev/null ||
  die "$tgz has no $ORT_MEMBER (not the onnxruntime-node@$ORT_VERSION package?)"

got=$(sha_of "$tmp/$ORT_MEMBER")
[[ $got == "$ORT_SHA256" ]] ||
  die "checksum mismatch for $ORT_MEMBER: got $got, want $ORT_SHA256; refusing to install"

mkdir -p "$dest"
install -m 0755 "$tmp/$ORT_MEMBER" "$lib.partial"
mv -f "$lib.partial" "$lib"
ln -sfn "libonnxruntime.so.$ORT_VERSION" "$dest/libonnxruntime.so"
echo "install-onnxruntime: installed $lib" >&2
