#!/usr/bin/env bash
# The test command (`make test`): lint, migrations check and the test suite, against real
# PostgreSQL, Redis and headless Chromium, which it installs and starts where it can.
#
#   scripts/test.sh                 # everything
#   scripts/test.sh -k rules        # extra arguments go to pytest
#
# TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/registry; pytest-django
# creates and drops test_<name> beside it) and TEST_REDIS_URL (default
# redis://127.0.0.1:6379/15) choose other servers. Browser tests write screenshots and other
# artifacts under var/test-artifacts/.
set -euo pipefail
# shellcheck source=scripts/_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
cd "$REPO_ROOT"

export PYTHONUNBUFFERED=1 PIP_NO_INPUT=1 DEBIAN_FRONTEND=noninteractive

"$REPO_ROOT/scripts/bootstrap.sh"

export DATABASE_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/registry}"
export REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:6379/15}"
"$REPO_ROOT/scripts/services.sh" postgres redis chromium gettext

export REGISTRY_TEST_ARTIFACTS="$REPO_ROOT/var/test-artifacts"
export REGISTRY_CHROMIUM="${REGISTRY_CHROMIUM:-/usr/bin/chromium}"
rm -rf "$REGISTRY_TEST_ARTIFACTS"
mkdir -p "$REGISTRY_TEST_ARTIFACTS"

PY="$VENV/bin/python"
pytest_opts=()
if is_ci; then
    pytest_opts+=(-v --durations=15 -p no:cacheprovider)
    say "database ${DATABASE_URL%%@*}@… → ${DATABASE_URL##*@}; redis ${REDIS_URL##*@}"
    say "$("$PY" -VV); $("$VENV/bin/pip" --disable-pip-version-check list 2>/dev/null |
        grep -iE '^(django|celery|kombu|pytest|playwright) ' | tr -s ' ' | paste -sd ',')"
fi

say "ruff check ."
"$VENV/bin/ruff" check .

say "manage.py makemigrations --check --dry-run"
"$PY" manage.py makemigrations --check --dry-run

say "pytest ${pytest_opts[*]} $*"
status=0
"$VENV/bin/pytest" "${pytest_opts[@]}" "$@" || status=$?
if ((status != 0)) && [[ -n "$(ls -A "$REGISTRY_TEST_ARTIFACTS")" ]]; then
    say "browser artifacts of this run, in $REGISTRY_TEST_ARTIFACTS:"
    find "$REGISTRY_TEST_ARTIFACTS" -type f | sort | sed 's/^/    /'
fi
exit "$status"
