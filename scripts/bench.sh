#!/usr/bin/env bash
# The benchmarks (`make bench`): production gunicorn against PostgreSQL, see bench/README.md.
#
#   scripts/bench.sh [ARGS...]    # arguments go to `python -m bench`
#
# BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/registry_bench) chooses the
# database; a local one is installed and started if needed.
set -euo pipefail
# shellcheck source=scripts/_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
cd "$REPO_ROOT"

export PYTHONUNBUFFERED=1
"$REPO_ROOT/scripts/bootstrap.sh"
DATABASE_URL="${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/registry_bench}" \
    "$REPO_ROOT/scripts/services.sh" postgres
exec "$VENV/bin/python" -m bench "$@"
