#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Stops the broker kafka-start.sh started from the same run directory (SIGTERM: a controlled
# shutdown; SIGKILL after the timeout). Succeeds when nothing is running.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

usage() {
    cat <<USAGE
usage: kafka-stop.sh [--run-dir DIR] [--timeout SECONDS] [--delete-data]

  --run-dir DIR      the run directory kafka-start.sh used (default \$TOCOM_RUN_DIR or deploy/run)
  --timeout SECONDS  wait this long for a clean shutdown before SIGKILL (default 30)
  --delete-data      also delete RUN_DIR/kafka (data, logs, configuration)
USAGE
}

TIMEOUT=30 DELETE=false
while (($#)); do
    case "$1" in
        --run-dir) RUN_DIR="$2"; shift 2 ;;
        --timeout) TIMEOUT="$2"; shift 2 ;;
        --delete-data) DELETE=true; shift ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
done
RUN_DIR="$(abspath "$RUN_DIR")"
stop_daemon "$RUN_DIR/kafka/kafka.pid" Kafka "$TIMEOUT"
if $DELETE; then
    rm -rf "$RUN_DIR/kafka"
    log "deleted $RUN_DIR/kafka"
fi
