#!/usr/bin/env bash
# Set up everything the test suite needs on a fresh Debian machine, then run it.
#   - Debian packages: chromium (browser test), virtuoso-opensource (remote-store tests),
#     the independent validators: Apache Jena (SHACL), the OWL API (OWL 2 DL profile), a Java
#     runtime and compiler for them, node and npm
#   - npm packages in tests/node (jsonld.js), from its package-lock.json
#     wrk (the HTTP server benchmark's smoke test)
#   - a virtual environment in .venv with scograph and its test extras (pyld, owlready2 with HermiT)
# Arguments are passed to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v virtuoso-t >/dev/null 2>&1 || missing+=(virtuoso-opensource)
command -v javac >/dev/null 2>&1 || missing+=(default-jdk-headless)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
dpkg -s libapache-jena-java >/dev/null 2>&1 || missing+=(libapache-jena-java)
dpkg -s libowlapi-java >/dev/null 2>&1 || missing+=(libowlapi-java)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
if [ "${#missing[@]}" -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "installing Debian packages: ${missing[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

npm ci --prefix tests/node --no-audit --no-fund --loglevel=error

python3 -m venv .venv
.venv/bin/python -m pip install -qq --upgrade pip
.venv/bin/python -m pip install -qq -e '.[test]'
exec .venv/bin/python -m pytest "$@"
