# shellcheck shell=bash disable=SC2034 # the variables are used by the scripts that source this
# Shared by the scripts in deploy/bin; sourced, not run. Needs bash 4+, curl and a Java 17+ `java`
# (JAVA_HOME/bin/java when JAVA_HOME is set).
#
# Environment every script honours:
#   TOCOM_RUN_DIR   pid files, logs, rendered configuration and data      (default deploy/run)
#   FLINK_LIB_DIR   JobManager/TaskManager classpath    (default deploy/flink-lib/target/lib)
#   KAFKA_LIB_DIR   broker and tools classpath          (default deploy/kafka-lib/target/lib)
#   FLINK_REST      REST address of the JobManager      (default http://127.0.0.1:8081, or the
#                   rest.port of RUN_DIR's rendered config when there is one)

DEPLOY_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REPO_DIR="$(cd "$DEPLOY_DIR/.." && pwd)"
RUN_DIR="${TOCOM_RUN_DIR:-$DEPLOY_DIR/run}"
FLINK_LIB_DIR="${FLINK_LIB_DIR:-$DEPLOY_DIR/flink-lib/target/lib}"
KAFKA_LIB_DIR="${KAFKA_LIB_DIR:-$DEPLOY_DIR/kafka-lib/target/lib}"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"

# The --add-exports/--add-opens list the Flink distribution puts into env.java.opts.all for Java 17.
# Without it /jars/:id/run fails with InaccessibleObjectException (Flink's own start scripts pass the same list).
FLINK_J17_OPTS=(
    --add-exports=java.base/sun.net.util=ALL-UNNAMED
    --add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED
    --add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED
    --add-opens=java.base/java.lang=ALL-UNNAMED
    --add-opens=java.base/java.net=ALL-UNNAMED
    --add-opens=java.base/java.io=ALL-UNNAMED
    --add-opens=java.base/java.nio=ALL-UNNAMED
    --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
    --add-opens=java.base/java.lang.reflect=ALL-UNNAMED
    --add-opens=java.base/java.text=ALL-UNNAMED
    --add-opens=java.base/java.time=ALL-UNNAMED
    --add-opens=java.base/java.util=ALL-UNNAMED
    --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
    --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED
    --add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED
)

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Absolute form of a path that may not exist yet.
abspath() {
    case "$1" in
        /*) printf '%s\n' "$1" ;;
        *) printf '%s\n' "$PWD/$1" ;;
    esac
}

need_lib_dir() { # DIR HOW_TO_BUILD
    compgen -G "$1/*.jar" >/dev/null || die "no jars in $1; build it first: $2"
}

need_cmd() {
    command -v "$1" >/dev/null 2>&1 || die "'$1' is required but not on PATH"
}

# render TEMPLATE OUT NAME...: copy TEMPLATE to OUT replacing each @@NAME@@ by the value of $NAME.
render() {
    local template="$1" out="$2" text name
    shift 2
    text="$(<"$template")"
    for name in "$@"; do
        text="${text//@@${name}@@/${!name}}"
    done
    [[ "$text" != *@@*@@* ]] || die "unreplaced token in $out: $(grep -o '@@[A-Z_]*@@' <<<"$text" | sed -n 1p)"
    printf '%s\n' "$text" >"$out"
}

# The pid in a pid file if that process is alive, else nothing (and a stale file is removed).
live_pid() { # PIDFILE
    local pid
    [[ -f "$1" ]] || return 1
    pid="$(<"$1")"
    if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
        printf '%s\n' "$pid"
        return 0
    fi
    rm -f "$1"
    return 1
}

# start_daemon PIDFILE OUTFILE CMD...: runs CMD detached (own session, stdin closed), stdout and
# stderr appended to OUTFILE, and writes its pid.
start_daemon() {
    local pidfile="$1" out="$2"
    shift 2
    mkdir -p "$(dirname "$pidfile")" "$(dirname "$out")"
    if command -v setsid >/dev/null 2>&1; then
        nohup setsid "$@" >>"$out" 2>&1 </dev/null &
    else
        nohup "$@" >>"$out" 2>&1 </dev/null &
    fi
    printf '%s\n' "$!" >"$pidfile"
}

# stop_daemon PIDFILE NAME [TIMEOUT_S]: SIGTERM, wait, then SIGKILL. Quiet success if not running.
stop_daemon() {
    local pidfile="$1" name="$2" timeout="${3:-30}" pid i
    if ! pid="$(live_pid "$pidfile")"; then
        log "$name is not running"
        return 0
    fi
    log "stopping $name (pid $pid)"
    kill "$pid" 2>/dev/null || true
    for ((i = 0; i < timeout * 5; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "$name did not stop within ${timeout}s; killing it"
        kill -9 "$pid" 2>/dev/null || true
        for ((i = 0; i < 50; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
    fi
    rm -f "$pidfile"
}

# wait_for TIMEOUT_S WHAT CMD...: polls CMD every 0.5 s until it succeeds; fails after TIMEOUT_S.
wait_for() {
    local timeout="$1" what="$2" deadline
    shift 2
    deadline=$((SECONDS + timeout))
    until "$@"; do
        ((SECONDS < deadline)) || {
            log "timed out after ${timeout}s waiting for $what"
            return 1
        }
        sleep 0.5
    done
}

# The REST address: $FLINK_REST, else rest.address and rest.port of the rendered config in RUN_DIR
# (127.0.0.1 for an address of 0.0.0.0), else http://127.0.0.1:8081.
flink_rest() {
    local conf="$RUN_DIR/flink/conf/config.yaml" host="" port=""
    if [[ -n "${FLINK_REST:-}" ]]; then
        printf '%s\n' "${FLINK_REST%/}"
        return
    fi
    if [[ -f "$conf" ]]; then
        host="$(sed -n 's/^rest\.address:[[:space:]]*\([^[:space:]#]*\).*/\1/p' "$conf" | sed -n 1p)"
        port="$(sed -n 's/^rest\.port:[[:space:]]*\([0-9]*\).*/\1/p' "$conf" | sed -n 1p)"
    fi
    [[ -n "$host" && "$host" != 0.0.0.0 ]] || host=127.0.0.1
    printf 'http://%s:%s\n' "$host" "${port:-8081}"
}

# rest_get PATH: GET a REST resource, body on stdout; fails on HTTP errors and refused connections.
rest_get() {
    curl -sS -f --max-time 10 "$(flink_rest)$1"
}

# The value of the first "key":"string" in a JSON text (flat string values only).
json_str() { # KEY JSON
    { grep -o "\"$1\":\"[^\"]*\"" <<<"$2" || true; } | sed -n 1p | sed 's/^"[^"]*":"//; s/"$//'
}

# The value of the first "key":number in a JSON text.
json_num() { # KEY JSON
    { grep -o "\"$1\":-\{0,1\}[0-9][0-9]*" <<<"$2" || true; } | sed -n 1p | sed 's/^"[^"]*"://'
}

# A bash string as a JSON string literal.
json_quote() {
    local s="$1"
    s="${s//\\/\\\\}"
    s="${s//\"/\\\"}"
    s="${s//$'\n'/\\n}"
    s="${s//$'\r'/\\r}"
    s="${s//$'\t'/\\t}"
    printf '"%s"' "$s"
}

# Whether something accepts TCP connections on HOST PORT.
port_open() {
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

# A TCP port on 127.0.0.1 that nothing listens on, below the kernel's ephemeral range (so that no
# outgoing connection takes it before the server binds) and not handed out before by this shell.
# Racy by nature against other programs; fine for tests. Sets the variable named NAME (no subshell,
# so that the ports handed out are remembered).
FREE_PORTS_GIVEN=" "
free_port() { # NAME
    local low=32768 port i
    if [[ -r /proc/sys/net/ipv4/ip_local_port_range ]]; then
        read -r low _ </proc/sys/net/ipv4/ip_local_port_range
    fi
    ((low > 11000)) || low=32768
    for ((i = 0; i < 200; i++)); do
        port=$((10000 + (RANDOM * 32768 + RANDOM) % (low - 10000)))
        [[ "$FREE_PORTS_GIVEN" == *" $port "* ]] && continue
        port_open 127.0.0.1 "$port" && continue
        FREE_PORTS_GIVEN+="$port "
        printf -v "$1" '%s' "$port"
        return 0
    done
    die "no free port found"
}
