#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Crashes a TaskManager (kill -9, no shutdown hooks, open Kafka transactions left behind) and starts
# a new one in its place, waiting until it has registered. For failure tests: the running jobs
# fail over to the new TaskManager and restore from their last checkpoint.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

usage() {
    cat <<USAGE
usage: tm-kill.sh [--index N] [--run-dir DIR] [--delay SECONDS] [--no-restart] [--timeout SECONDS]

  --index N          which TaskManager of this host (default 0)
  --run-dir DIR      the run directory cluster-start.sh used (default \$TOCOM_RUN_DIR or deploy/run)
  --delay SECONDS    wait between the kill and the restart (default 0)
  --no-restart       only kill
  --timeout SECONDS  wait this long for the new TaskManager to register (default 90)
USAGE
}

INDEX=0 DELAY=0 RESTART=true TIMEOUT=90
while (($#)); do
    case "$1" in
        --index) INDEX="$2"; shift 2 ;;
        --run-dir) RUN_DIR="$2"; shift 2 ;;
        --delay) DELAY="$2"; shift 2 ;;
        --no-restart) RESTART=false; shift ;;
        --timeout) TIMEOUT="$2"; shift 2 ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
done
RUN_DIR="$(abspath "$RUN_DIR")"
live_pid "$RUN_DIR/flink/taskmanager-$INDEX.pid" >/dev/null \
    || die "TaskManager $INDEX is not running (no live pid in $RUN_DIR/flink/taskmanager-$INDEX.pid)"
"$DEPLOY_DIR/bin/taskmanager.sh" kill --index "$INDEX" --run-dir "$RUN_DIR"
$RESTART || exit 0
sleep "$DELAY"
"$DEPLOY_DIR/bin/taskmanager.sh" start --index "$INDEX" --run-dir "$RUN_DIR" --timeout "$TIMEOUT"
