#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# shellcheck disable=SC2034 # settings reach the rendered configuration through render (${!name})
# Starts a single-node Kafka broker (KRaft, combined broker + controller) as its own JVM from the
# jars of deploy/kafka-lib. Formats the data directory on the first start. Idempotent: a broker
# already running from the same run directory is left alone.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

usage() {
    cat <<USAGE
usage: kafka-start.sh [options]

Starts a Kafka 4.2 KRaft broker in the background and waits until it serves requests.

options:
  --host HOST             advertised host name clients connect to   (default 127.0.0.1)
  --bind-host HOST        listen address                             (default: --host)
  --port PORT             client (PLAINTEXT) port                    (default 9092)
  --controller-port PORT  KRaft controller port                      (default 9093)
  --data-dir DIR          log.dirs                                   (default RUN_DIR/kafka/data)
  --partitions N          num.partitions for auto-created topics     (default 1)
  --heap SIZE             -Xmx/-Xms of the broker                    (default 512m)
  --message-max-bytes N   largest record batch the broker accepts    (default 1048588)
  --run-dir DIR           pid file, logs, rendered server.properties (default \$TOCOM_RUN_DIR or deploy/run)
  --timeout SECONDS       how long to wait for readiness             (default 60)
  -h, --help

Build the lib dir first: mvn -B -f deploy/kafka-lib/pom.xml package
Logs: RUN_DIR/kafka/logs/server.log (broker), RUN_DIR/kafka/kafka.out (stdout/stderr).
USAGE
}

HOST=127.0.0.1 BIND_HOST="" PORT=9092 CONTROLLER_PORT=9093 DATA_DIR="" PARTITIONS=1 HEAP=512m
MESSAGE_MAX_BYTES=1048588 TIMEOUT=60 NODE_ID=1
while (($#)); do
    case "$1" in
        --host) HOST="$2"; shift 2 ;;
        --bind-host) BIND_HOST="$2"; shift 2 ;;
        --port) PORT="$2"; shift 2 ;;
        --controller-port) CONTROLLER_PORT="$2"; shift 2 ;;
        --data-dir) DATA_DIR="$2"; shift 2 ;;
        --partitions) PARTITIONS="$2"; shift 2 ;;
        --heap) HEAP="$2"; shift 2 ;;
        --message-max-bytes) MESSAGE_MAX_BYTES="$2"; shift 2 ;;
        --run-dir) RUN_DIR="$2"; shift 2 ;;
        --timeout) TIMEOUT="$2"; shift 2 ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
done
BIND_HOST="${BIND_HOST:-$HOST}"
RUN_DIR="$(abspath "$RUN_DIR")"
KDIR="$RUN_DIR/kafka"
DATA_DIR="$(abspath "${DATA_DIR:-$KDIR/data}")"
PIDFILE="$KDIR/kafka.pid"
LOG_DIR="$KDIR/logs"

if pid="$(live_pid "$PIDFILE")"; then
    log "Kafka is already running (pid $pid, $(sed -n 's/^advertised.listeners=PLAINTEXT:\/\///p' "$KDIR/server.properties"))"
    exit 0
fi
need_lib_dir "$KAFKA_LIB_DIR" "mvn -B -f deploy/kafka-lib/pom.xml package"
port_open "$HOST" "$PORT" && die "something already listens on $HOST:$PORT"

mkdir -p "$DATA_DIR" "$LOG_DIR"
render "$DEPLOY_DIR/conf/kafka/server.properties.template" "$KDIR/server.properties" \
    NODE_ID HOST BIND_HOST PORT CONTROLLER_PORT DATA_DIR PARTITIONS MESSAGE_MAX_BYTES
CP="$KAFKA_LIB_DIR/*"
LOG_OPTS=(-Dlog4j2.configurationFile="$DEPLOY_DIR/conf/kafka/log4j2.properties" -Dkafka.logs.dir="$LOG_DIR")

if [[ ! -f "$DATA_DIR/meta.properties" ]]; then
    log "formatting $DATA_DIR (first start)"
    cluster_id="$("$JAVA" -cp "$CP" "${LOG_OPTS[@]}" kafka.tools.StorageTool random-uuid)"
    "$JAVA" -cp "$CP" "${LOG_OPTS[@]}" kafka.tools.StorageTool format --standalone \
        -t "$cluster_id" -c "$KDIR/server.properties" >>"$KDIR/kafka.out" 2>&1 \
        || { tail -20 "$KDIR/kafka.out" >&2; die "formatting $DATA_DIR failed"; }
fi

log_size=$(stat -c %s "$LOG_DIR/server.log" 2>/dev/null || echo 0)
start_daemon "$PIDFILE" "$KDIR/kafka.out" \
    "$JAVA" -Xms"$HEAP" -Xmx"$HEAP" -XX:+UseG1GC "${LOG_OPTS[@]}" -cp "$CP" \
    kafka.Kafka "$KDIR/server.properties"
pid="$(<"$PIDFILE")"
log "Kafka starting (pid $pid) on $HOST:$PORT, data $DATA_DIR"

started() {
    kill -0 "$pid" 2>/dev/null || {
        tail -30 "$KDIR/kafka.out" "$LOG_DIR/server.log" >&2 2>/dev/null || true
        die "Kafka exited during start-up; see $KDIR/kafka.out and $LOG_DIR/server.log"
    }
    # grep -c reads to the end: grep -q would stop at the match and, with pipefail, tail's SIGPIPE
    # would fail the check for good once the log has grown past the line by a pipe buffer.
    tail -c +"$((log_size + 1))" "$LOG_DIR/server.log" 2>/dev/null | grep -c 'Kafka Server started' >/dev/null \
        && port_open "$HOST" "$PORT"
}
if ! wait_for "$TIMEOUT" "Kafka on $HOST:$PORT" started; then
    stop_daemon "$PIDFILE" Kafka 10
    die "Kafka did not start; see $LOG_DIR/server.log"
fi
log "Kafka ready: bootstrap $HOST:$PORT"
