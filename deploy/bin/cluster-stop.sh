#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Stops the TaskManagers and the JobManager cluster-start.sh started from the same run directory.
# Running jobs are suspended with the JobManager (not cancelled); cancel them first (cancel.sh) to
# end them for good. Succeeds when nothing is running.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

usage() {
    cat <<USAGE
usage: cluster-stop.sh [--run-dir DIR] [--timeout SECONDS] [--delete]

  --run-dir DIR      the run directory cluster-start.sh used (default \$TOCOM_RUN_DIR or deploy/run)
  --timeout SECONDS  per process wait for a clean shutdown before SIGKILL (default 30)
  --delete           also delete RUN_DIR/flink (configuration, logs, checkpoints, uploaded jars)
USAGE
}

TIMEOUT=30 DELETE=false
while (($#)); do
    case "$1" in
        --run-dir) RUN_DIR="$2"; shift 2 ;;
        --timeout) TIMEOUT="$2"; shift 2 ;;
        --delete) DELETE=true; shift ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
done
RUN_DIR="$(abspath "$RUN_DIR")"
FDIR="$RUN_DIR/flink"
shopt -s nullglob
for pidfile in "$FDIR"/taskmanager-*.pid; do
    index="${pidfile##*/taskmanager-}"
    "$DEPLOY_DIR/bin/taskmanager.sh" stop --index "${index%.pid}" --run-dir "$RUN_DIR" --timeout "$TIMEOUT"
done
"$DEPLOY_DIR/bin/jobmanager.sh" stop --run-dir "$RUN_DIR" --timeout "$TIMEOUT"
if $DELETE; then
    rm -rf "$FDIR"
    log "deleted $FDIR"
fi
