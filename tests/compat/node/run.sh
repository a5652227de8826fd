#!/usr/bin/env bash
# Runs one node:test file under the server already started by
# tests/lib/with-server. Exit 77 (ctest: skipped) when the pinned packages
# are not installed and this is not CI; .ci/deps installs them with npm ci.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [[ ! -d $here/node_modules/ioredis || ! -d $here/node_modules/redis ]]; then
    echo "node packages missing: run .ci/deps (npm ci in tests/compat/node)" >&2
    [[ ${CI:-} == true ]] && exit 1
    exit 77
fi
exec node --test --test-reporter=spec "$here/$1"
