#!/usr/bin/env bash
# Make sure the local services the tests need are there and running:
#   postgres  PostgreSQL on 127.0.0.1:5432, user postgres able to connect over TCP,
#             and the database named in DATABASE_URL created
#   redis     Redis on 127.0.0.1:6379
#   chromium  Debian's chromium at /usr/bin/chromium, for the Playwright browser tests
#   gettext   GNU gettext (xgettext, msgmerge), for the test that every string is translated
#
# usage: scripts/services.sh [postgres] [redis] [chromium] [gettext]   (no argument: all)
#
# Installs (apt-get) and starts what is missing when it runs as root on Debian; otherwise it
# says what to install or start by hand and exits non-zero. Quick when all is there already.
# DATABASE_URL and REDIS_URL are respected: a server they place on another host or port is not
# started here, only checked.
set -euo pipefail
# shellcheck source=scripts/_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
cd "$REPO_ROOT"

DEFAULT_DATABASE_URL="postgres://postgres@127.0.0.1:5432/registry"
DEFAULT_REDIS_URL="redis://127.0.0.1:6379/15"
CHROMIUM="${REGISTRY_CHROMIUM:-/usr/bin/chromium}"
HBA_MARK="# added by cbm-registry scripts/services.sh: local tests connect as postgres"

# --- helpers ---------------------------------------------------------------------------

apt_updated=0
can_install() { [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null 2>&1; }

# apt_install PACKAGE...: install Debian packages, or return 1 when this shell cannot.
apt_install() {
    can_install || return 1
    local quiet=(-q)
    is_ci && quiet=()
    if [[ $apt_updated == 0 ]]; then
        say "apt-get update"
        DEBIAN_FRONTEND=noninteractive apt-get "${quiet[@]}" -o DPkg::Lock::Timeout=300 update
        apt_updated=1
    fi
    say "apt-get install -y $*"
    DEBIAN_FRONTEND=noninteractive apt-get "${quiet[@]}" -o DPkg::Lock::Timeout=300 \
        install -y "$@"
}

# cannot_install WHAT HOW: the message when apt-get cannot be used from here.
cannot_install() {
    local reason="not running as root"
    [[ $EUID -eq 0 ]] && reason="apt-get is not available"
    die "$1 is missing and cannot be installed from here ($reason). Install it by hand:
    $2
then run this again."
}

# parse_url URL: sets url_scheme, url_user, url_password, url_host, url_port, url_path.
parse_url() {
    local re='^([A-Za-z0-9+.-]+)://(([^:@/]*)(:([^@/]*))?@)?(\[[^]/]*\]|[^:/?]*)(:([0-9]+))?(/([^?]*))?'
    [[ $1 =~ $re ]] || die "cannot read the URL ${1%%@*}@…"
    url_scheme="${BASH_REMATCH[1]}"
    url_user="${BASH_REMATCH[3]}"
    url_password="${BASH_REMATCH[5]}"
    url_host="${BASH_REMATCH[6]#[}"
    url_host="${url_host%]}"
    url_port="${BASH_REMATCH[8]}"
    url_path="${BASH_REMATCH[10]}"
}

is_local_host() { [[ -z $1 || $1 == 127.0.0.1 || $1 == localhost || $1 == ::1 ]]; }

# port_open HOST PORT
# shellcheck disable=SC2016 # $0 and $1 expand in the inner shell
port_open() { timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null; }

# wait_for SECONDS COMMAND...: retry COMMAND every half second until it succeeds.
wait_for() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@"; do
        ((SECONDS < deadline)) || return 1
        sleep 0.5
    done
}

# --- PostgreSQL ------------------------------------------------------------------------

pg_psql() { # pg_psql DBNAME SQL: run one statement as the URL's user over TCP, never prompting
    PGPASSWORD="$url_password" PGCONNECT_TIMEOUT=5 psql -w -X -q -tA \
        -h "$url_host" -p "$url_port" -U "$url_user" -d "$1" -c "$2" </dev/null
}

pg_ready() { pg_isready -q -h "$url_host" -p "$url_port" -t 3 >/dev/null 2>&1; }

# The version of the cluster that listens on the wanted port, creating one if there is none.
pg_cluster_version() {
    local version
    version="$(pg_lsclusters -h 2>/dev/null | awk -v port="$url_port" '$3 == port {print $1; exit}')"
    if [[ -z $version ]]; then
        if [[ -n "$(pg_lsclusters -h 2>/dev/null)" ]]; then
            die "PostgreSQL is installed but no cluster uses port $url_port:
$(pg_lsclusters)
Point TEST_DATABASE_URL at the right port, or move a cluster to $url_port."
        fi
        version="$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -n | tail -1)"
        [[ -n $version ]] || die "no PostgreSQL server binaries under /usr/lib/postgresql"
        say "creating PostgreSQL cluster: pg_createcluster --port $url_port $version main" >&2
        pg_createcluster --port "$url_port" "$version" main >/dev/null
    fi
    printf '%s\n' "$version"
}

pg_start() {
    if ! command -v pg_ctlcluster >/dev/null 2>&1; then
        say "PostgreSQL server not installed"
        apt_install postgresql ||
            cannot_install "PostgreSQL" "apt-get install -y postgresql   # then start it, see below"
    fi
    pg_ready && return 0 # the package's own start script may have started it
    local version
    version="$(pg_cluster_version)"
    say "starting PostgreSQL: pg_ctlcluster --skip-systemctl-redirect $version main start"
    if ! pg_ctlcluster --skip-systemctl-redirect "$version" main start; then
        die "PostgreSQL $version did not start; see /var/log/postgresql/postgresql-$version-main.log
(as root: pg_ctlcluster --skip-systemctl-redirect $version main start)"
    fi
    wait_for 30 pg_ready || die "PostgreSQL started but does not accept connections on" \
        "$url_host:$url_port after 30 s"
}

# A fresh Debian cluster asks TCP clients for a password that user postgres does not have:
# trust user postgres from the loopback addresses only, above every other rule.
pg_trust_loopback() {
    [[ $EUID -eq 0 ]] || die "user postgres cannot connect to $url_host:$url_port:
$1
As root, add these lines at the top of the cluster's pg_hba.conf, then reload PostgreSQL:
    host all postgres 127.0.0.1/32 trust
    host all postgres ::1/128 trust"
    local hba
    hba="$(runuser -u postgres -- psql -X -tA -c 'SHOW hba_file' </dev/null)" ||
        die "cannot read hba_file over the local socket as the postgres system user"
    if grep -qF "$HBA_MARK" "$hba"; then
        die "user postgres still cannot connect although $hba trusts it:
$1"
    fi
    say "letting user postgres connect from 127.0.0.1 and ::1 without a password ($hba)"
    local tmp
    tmp="$(mktemp)"
    {
        printf '%s\n' "$HBA_MARK" \
            "host all postgres 127.0.0.1/32 trust" "host all postgres ::1/128 trust"
        cat "$hba"
    } >"$tmp"
    cat "$tmp" >"$hba" # keeps the file's owner and mode
    rm -f "$tmp"
    runuser -u postgres -- psql -X -q -c 'SELECT pg_reload_conf()' </dev/null >/dev/null
    sleep 0.5
}

ensure_postgres() {
    local url="${DATABASE_URL:-$DEFAULT_DATABASE_URL}"
    parse_url "$url"
    case "$url_scheme" in
    postgres | postgresql | pgsql) ;;
    *)
        say "PostgreSQL: DATABASE_URL is a $url_scheme URL, nothing to do"
        return 0
        ;;
    esac
    url_user="${url_user:-postgres}"
    url_port="${url_port:-5432}"
    url_host="${url_host:-127.0.0.1}"
    local db="${url_path:-postgres}"
    [[ $db =~ ^[A-Za-z0-9_]+$ ]] || die "database name '$db': use letters, digits and _ only"

    if ! is_local_host "$url_host" || [[ $url_port != 5432 ]]; then
        say "PostgreSQL: DATABASE_URL points to $url_host:$url_port, not started here"
        port_open "$url_host" "$url_port" || die "nothing answers at $url_host:$url_port"
        return 0
    fi

    if ! command -v psql >/dev/null 2>&1 || ! pg_ready; then
        pg_start
    fi

    local error
    if ! error="$(pg_psql postgres 'SELECT 1' 2>&1 >/dev/null)"; then
        if [[ $url_user == postgres && -z $url_password ]]; then
            pg_trust_loopback "$error"
            error="$(pg_psql postgres 'SELECT 1' 2>&1 >/dev/null)" ||
                die "user postgres still cannot connect to $url_host:$url_port: $error"
        else
            die "user $url_user cannot connect to $url_host:$url_port: $error"
        fi
    fi

    if [[ "$(pg_psql postgres "SELECT 1 FROM pg_database WHERE datname = '$db'")" != 1 ]]; then
        say "creating database $db"
        pg_psql postgres "CREATE DATABASE \"$db\"" >/dev/null
    fi
    say "PostgreSQL: ready at $url_host:$url_port (user $url_user, database $db," \
        "$(pg_psql postgres 'SHOW server_version' | cut -d' ' -f1))"
}

# --- Redis -----------------------------------------------------------------------------

# Any answer to PING, even a refusal for lack of a password, shows a Redis server is there.
# shellcheck disable=SC2016 # $0 and $1 expand in the inner shell
redis_answers() {
    timeout 3 bash -c '
        exec 3<>"/dev/tcp/$0/$1" || exit 1
        printf "PING\r\n" >&3
        IFS= read -r line <&3 || exit 1
        [[ $line == "+PONG"* || $line == "-NOAUTH"* ]]' "$url_host" "$url_port" 2>/dev/null
}

redis_start() {
    if ! command -v redis-server >/dev/null 2>&1; then
        say "Redis server not installed"
        apt_install redis-server || cannot_install "Redis" "apt-get install -y redis-server"
        redis_answers && return 0 # the package's own start script may have started it
    fi
    local dir=/var/lib/redis log=/var/log/redis/ci.log
    if [[ ! -w $dir || ! -w ${log%/*} ]]; then
        dir="$REPO_ROOT/var/redis"
        log="$dir/redis.log"
        mkdir -p "$dir"
    fi
    say "starting Redis: redis-server --daemonize yes --bind 127.0.0.1 -::1 --port $url_port" \
        "--save '' --appendonly no --dir $dir --logfile $log"
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$url_port" \
        --save "" --appendonly no --dir "$dir" --logfile "$log" ||
        die "redis-server did not start; see $log"
    wait_for 15 redis_answers || die "Redis started but does not answer on port $url_port; see $log"
}

ensure_redis() {
    parse_url "${REDIS_URL:-$DEFAULT_REDIS_URL}"
    url_host="${url_host:-127.0.0.1}"
    url_port="${url_port:-6379}"
    if ! is_local_host "$url_host" || [[ $url_port != 6379 ]]; then
        say "Redis: REDIS_URL points to $url_host:$url_port, not started here"
        port_open "$url_host" "$url_port" || die "nothing answers at $url_host:$url_port"
        return 0
    fi
    redis_answers || redis_start
    say "Redis: ready at $url_host:$url_port"
}

# --- Chromium --------------------------------------------------------------------------

ensure_chromium() {
    if [[ ! -x $CHROMIUM ]]; then
        [[ $CHROMIUM == /usr/bin/chromium ]] ||
            die "REGISTRY_CHROMIUM=$CHROMIUM is not an executable file"
        say "Chromium not installed (the browser tests drive $CHROMIUM)"
        apt_install chromium || cannot_install "Chromium" "apt-get install -y chromium"
        [[ -x $CHROMIUM ]] || die "Debian's chromium package is installed, but $CHROMIUM is not there"
    fi
    say "Chromium: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
}

# --- gettext ---------------------------------------------------------------------------

ensure_gettext() {
    if ! command -v xgettext >/dev/null 2>&1 || ! command -v msgmerge >/dev/null 2>&1; then
        say "GNU gettext not installed (the translation test runs makemessages)"
        apt_install gettext || cannot_install "GNU gettext" "apt-get install -y gettext"
    fi
    say "gettext: $(xgettext --version | head -n 1)"
}

# --- main ------------------------------------------------------------------------------

wanted=("$@")
((${#wanted[@]})) || wanted=(postgres redis chromium gettext)
for service in "${wanted[@]}"; do
    case "$service" in
    postgres | postgresql) ensure_postgres ;;
    redis) ensure_redis ;;
    chromium) ensure_chromium ;;
    gettext) ensure_gettext ;;
    *) die "unknown service '$service' (choose from: postgres redis chromium gettext)" ;;
    esac
done
