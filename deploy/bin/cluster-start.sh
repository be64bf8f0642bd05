#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# shellcheck disable=SC2034 # settings reach the rendered configuration through render (${!name})
# Starts a standalone Flink session cluster from the jars of deploy/flink-lib: one JobManager and N
# TaskManagers, each its own JVM, and waits until each TaskManager is registered. On one host it
# starts everything; across hosts run it with --role jobmanager on the JobManager host and with
# --role taskmanagers --jm-host JM_HOST on each TaskManager host. Idempotent: processes already
# running from the same run directory are left alone.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

usage() {
    cat <<USAGE
usage: cluster-start.sh [options]

Renders deploy/conf/flink/config.yaml.template into RUN_DIR/flink/conf (or copies --conf-dir),
then starts the JobManager and the TaskManagers in the background.

options:
  --role ROLE              all | jobmanager | taskmanagers                (default all)
  --host HOST              this host's address as the others reach it     (default 127.0.0.1)
  --jm-host HOST           the JobManager's address                       (default: --host)
  --bind-host HOST         listen address of all endpoints               (default: --host)
  --rest-port PORT         REST API and web UI                           (default 8081)
  --rpc-port PORT          JobManager RPC                                (default 6123)
  --taskmanagers N         TaskManagers to start on this host            (default 1)
  --slots N                task slots per TaskManager                    (default 2)
  --parallelism N          parallelism.default                           (default: --slots)
  --jm-memory SIZE         jobmanager.memory.process.size                (default 1024m)
  --tm-memory SIZE         taskmanager.memory.process.size               (default 3072m)
  --tm-native SIZE         part of it left for libtorch (JVM overhead)   (default 1024m)
  --tm-off-heap SIZE       taskmanager.memory.task.off-heap.size         (default 512m)
  --torch-threads N        libtorch/OpenMP threads per TaskManager JVM   (default: cores / slots, >= 1)
  --checkpoint-dir URI     execution.checkpointing.dir      (default file://RUN_DIR/flink/checkpoints)
  --heartbeat MS:MS        heartbeat.interval:heartbeat.timeout          (default 10000:50000)
  --djl-cache-dir DIR      where libtorch is unpacked (DJL_CACHE_DIR)    (default \$DJL_CACHE_DIR or ~/.djl.ai)
  --java-opts "OPTS"       extra JVM options for the JobManager and TaskManagers
  --extra-classpath CP     appended to the classpath of both (e.g. a metrics reporter jar)
  --backlog-bridge JAR     the backlog-bridge jar put on both classpaths, or none  (default: the
                           newest operators/target/tocom-stream-operators-*-backlog-bridge.jar;
                           without it the controller steers on the operator's own signals)
  --conf-dir DIR           use DIR/config.yaml (and DIR/log4j.properties if present) as they are
                           instead of rendering the template; the options above that set config
                           keys are then ignored
  --run-dir DIR            pid files, logs, configuration (default \$TOCOM_RUN_DIR or deploy/run)
  --timeout SECONDS        per process start-up wait (default 90)
  -h, --help

Build the lib dir first: mvn -B -f deploy/flink-lib/pom.xml package
Stop with cluster-stop.sh (same --run-dir).
USAGE
}

ROLE=all HOST=127.0.0.1 JM_HOST="" BIND_HOST="" REST_PORT=8081 RPC_PORT=6123 TASKMANAGERS=1 SLOTS=2 PARALLELISM=""
JM_MEMORY=1024m TM_MEMORY=3072m TM_NATIVE=1024m TM_OFF_HEAP=512m TORCH_THREADS="" CHECKPOINT_DIR=""
HEARTBEAT=10000:50000 DJL_CACHE_DIR="${DJL_CACHE_DIR:-$HOME/.djl.ai}" EXTRA_JAVA_OPTS="" EXTRA_CP="" BRIDGE_JAR=auto
CONF_DIR="" TIMEOUT=90
while (($#)); do
    case "$1" in
        --role) ROLE="$2"; shift 2 ;;
        --host) HOST="$2"; shift 2 ;;
        --jm-host) JM_HOST="$2"; shift 2 ;;
        --bind-host) BIND_HOST="$2"; shift 2 ;;
        --rest-port) REST_PORT="$2"; shift 2 ;;
        --rpc-port) RPC_PORT="$2"; shift 2 ;;
        --taskmanagers) TASKMANAGERS="$2"; shift 2 ;;
        --slots) SLOTS="$2"; shift 2 ;;
        --parallelism) PARALLELISM="$2"; shift 2 ;;
        --jm-memory) JM_MEMORY="$2"; shift 2 ;;
        --tm-memory) TM_MEMORY="$2"; shift 2 ;;
        --tm-native) TM_NATIVE="$2"; shift 2 ;;
        --tm-off-heap) TM_OFF_HEAP="$2"; shift 2 ;;
        --torch-threads) TORCH_THREADS="$2"; shift 2 ;;
        --checkpoint-dir) CHECKPOINT_DIR="$2"; shift 2 ;;
        --heartbeat) HEARTBEAT="$2"; shift 2 ;;
        --djl-cache-dir) DJL_CACHE_DIR="$2"; shift 2 ;;
        --java-opts) EXTRA_JAVA_OPTS="$2"; shift 2 ;;
        --extra-classpath) EXTRA_CP="$2"; shift 2 ;;
        --backlog-bridge) BRIDGE_JAR="$2"; shift 2 ;;
        --conf-dir) CONF_DIR="$2"; shift 2 ;;
        --run-dir) RUN_DIR="$2"; shift 2 ;;
        --timeout) TIMEOUT="$2"; shift 2 ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
done
for n in REST_PORT RPC_PORT TASKMANAGERS SLOTS; do
    [[ "${!n}" =~ ^[0-9]+$ && "${!n}" -gt 0 ]] || die "--$(tr 'A-Z_' 'a-z-' <<<"$n") must be a positive number, was ${!n}"
done
[[ "$HEARTBEAT" =~ ^([0-9]+):([0-9]+)$ ]] || die "--heartbeat must be INTERVAL_MS:TIMEOUT_MS, was $HEARTBEAT"
HEARTBEAT_INTERVAL="${BASH_REMATCH[1]}" HEARTBEAT_TIMEOUT="${BASH_REMATCH[2]}"
((HEARTBEAT_INTERVAL < HEARTBEAT_TIMEOUT)) || die "--heartbeat: the interval must be below the timeout"
[[ "$ROLE" =~ ^(all|jobmanager|taskmanagers)$ ]] || die "--role must be all, jobmanager or taskmanagers, was $ROLE"
BIND_HOST="${BIND_HOST:-$HOST}" JM_HOST="${JM_HOST:-$HOST}" TM_HOST="$HOST"
PARALLELISM="${PARALLELISM:-$SLOTS}"
if [[ -z "$TORCH_THREADS" ]]; then
    TORCH_THREADS=$(($(nproc) / SLOTS))
    ((TORCH_THREADS >= 1)) || TORCH_THREADS=1
fi
BLOB_PORT=0 TM_RPC_PORT=0 TM_DATA_PORT=0
RUN_DIR="$(abspath "$RUN_DIR")"
FDIR="$RUN_DIR/flink"
CONF="$FDIR/conf"
CHECKPOINT_DIR="${CHECKPOINT_DIR:-file://$FDIR/checkpoints}"
need_cmd curl
need_lib_dir "$FLINK_LIB_DIR" "mvn -B -f deploy/flink-lib/pom.xml package"
if [[ "$BRIDGE_JAR" == auto ]]; then
    # shellcheck disable=SC2012 # jar names have no odd characters
    BRIDGE_JAR="$(ls -t "$REPO_DIR"/operators/target/tocom-stream-operators-*-backlog-bridge.jar 2>/dev/null | head -1)"
    [[ -n "$BRIDGE_JAR" ]] || log "no backlog-bridge jar under operators/target (mvn package builds it):" \
        "the load controller will not see the Kafka source's pendingRecords"
elif [[ "$BRIDGE_JAR" == none ]]; then
    BRIDGE_JAR=""
fi
if [[ -n "$BRIDGE_JAR" ]]; then
    [[ -f "$BRIDGE_JAR" ]] || die "--backlog-bridge: no such file: $BRIDGE_JAR"
    EXTRA_CP="$(abspath "$BRIDGE_JAR")${EXTRA_CP:+:$EXTRA_CP}"
fi

running=false
for pidfile in "$FDIR"/jobmanager.pid "$FDIR"/taskmanager-*.pid; do
    live_pid "$pidfile" >/dev/null && running=true
done
if $running; then
    log "Flink processes of $RUN_DIR are running; keeping their configuration in $CONF"
else
    mkdir -p "$CONF" "$FDIR/log" "$FDIR/tmp" "$FDIR/upload"
    if [[ -n "$CONF_DIR" ]]; then
        [[ -f "$CONF_DIR/config.yaml" ]] || die "no config.yaml in $CONF_DIR"
        [[ "$(abspath "$CONF_DIR")" == "$CONF" ]] || cp "$CONF_DIR/config.yaml" "$CONF/config.yaml"
        if [[ -f "$CONF_DIR/log4j.properties" ]]; then
            [[ "$(abspath "$CONF_DIR")" == "$CONF" ]] || cp "$CONF_DIR/log4j.properties" "$CONF/"
        else
            cp "$DEPLOY_DIR/conf/flink/log4j.properties" "$CONF/"
        fi
        log "using $CONF_DIR/config.yaml"
    else
        if [[ "$ROLE" != taskmanagers ]]; then
            port_open "$HOST" "$REST_PORT" && die "something already listens on $HOST:$REST_PORT (--rest-port)"
            port_open "$HOST" "$RPC_PORT" && die "something already listens on $HOST:$RPC_PORT (--rpc-port)"
        fi
        render "$DEPLOY_DIR/conf/flink/config.yaml.template" "$CONF/config.yaml" \
            JM_HOST TM_HOST BIND_HOST RPC_PORT REST_PORT BLOB_PORT TM_RPC_PORT TM_DATA_PORT \
            JM_MEMORY TM_MEMORY TM_NATIVE TM_OFF_HEAP SLOTS PARALLELISM CHECKPOINT_DIR \
            HEARTBEAT_INTERVAL HEARTBEAT_TIMEOUT RUN_DIR
        cp "$DEPLOY_DIR/conf/flink/log4j.properties" "$CONF/"
    fi
    # What the launch scripts need besides config.yaml (Flink has no keys for it here).
    {
        printf 'FLINK_LIB_DIR=%q\n' "$(abspath "$FLINK_LIB_DIR")"
        printf 'EXTRA_CP=%q\n' "$EXTRA_CP"
        printf 'EXTRA_JAVA_OPTS=%q\n' "$EXTRA_JAVA_OPTS"
        printf 'TORCH_THREADS=%q\n' "$TORCH_THREADS"
        printf 'DJL_CACHE_DIR=%q\n' "$(abspath "$DJL_CACHE_DIR")"
    } >"$CONF/launcher.env"
fi

if [[ "$ROLE" != taskmanagers ]]; then
    "$DEPLOY_DIR/bin/jobmanager.sh" start --run-dir "$RUN_DIR" --timeout "$TIMEOUT"
fi
if [[ "$ROLE" != jobmanager ]]; then
    wait_for "$TIMEOUT" "the JobManager's REST API at $(flink_rest)" eval 'rest_get /overview >/dev/null 2>&1' \
        || die "no JobManager at $(flink_rest)"
    for ((i = 0; i < TASKMANAGERS; i++)); do
        "$DEPLOY_DIR/bin/taskmanager.sh" start --index "$i" --run-dir "$RUN_DIR" --timeout "$TIMEOUT"
    done
fi
overview="$(rest_get /overview)"
log "cluster ready: REST $(flink_rest), $(json_num taskmanagers "$overview") TaskManager(s)," \
    "$(json_num slots-total "$overview") slots, $(json_num slots-available "$overview") free"
