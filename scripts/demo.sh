#!/usr/bin/env bash
# The demo command (`make demo`): the whole registry on this machine with no external server:
# SQLite under var/ and Celery's filesystem broker under var/broker.
#
#   scripts/demo.sh                      # http://127.0.0.1:8000/
#   scripts/demo.sh --port 8001          # arguments go to `manage.py run_demo`
#   DEMO_PASSWORD=... scripts/demo.sh    # a password of your choice for every demo user
#
# Stop it with Ctrl-C.
set -euo pipefail
# shellcheck source=scripts/_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
cd "$REPO_ROOT"

export PYTHONUNBUFFERED=1
"$REPO_ROOT/scripts/bootstrap.sh"
PY="$VENV/bin/python"

[[ -z "${DATABASE_URL:-}" ]] || say "using DATABASE_URL from the environment (${DATABASE_URL%%:*})"
[[ -z "${REDIS_URL:-}" ]] || say "using REDIS_URL from the environment as the Celery broker"

say "manage.py migrate"
"$PY" manage.py migrate --noinput

say "manage.py seed_demo"
seed_args=()
[[ -z "${DEMO_PASSWORD:-}" ]] || seed_args=(--password "$DEMO_PASSWORD")
seed_output="$("$PY" manage.py seed_demo --with-history "${seed_args[@]}")"
printf '%s\n' "$seed_output"
DEMO_PASSWORD="$(sed -n 's/^Demo password: //p' <<<"$seed_output")"
export DEMO_PASSWORD # run_demo shows it beside the demo logins

# With DEBUG on (the default), whitenoise serves static files straight from the apps.
debug="${DEBUG:-1}"
debug="${debug,,}"
if [[ ! ${debug// /} =~ ^(1|true|yes|on)$ ]]; then
    say "manage.py collectstatic (DEBUG is off)"
    "$PY" manage.py collectstatic --noinput --verbosity 0
fi

exec "$PY" manage.py run_demo "$@"
