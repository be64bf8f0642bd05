#!/usr/bin/env bash
# Cancels a job (PATCH /jobs/:id?mode=cancel) and waits until it is CANCELED.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

usage() {
    cat <<USAGE
usage: cancel.sh [--rest URL] [--timeout SECONDS] [--run-dir DIR] JOBID

  --rest URL         JobManager REST address (default \$FLINK_REST, else RUN_DIR's rest.port, else http://127.0.0.1:8081)
  --timeout SECONDS  wait this long for CANCELED (default 60)
  --run-dir DIR      read the REST port from this run directory (default \$TOCOM_RUN_DIR or deploy/run)
A job that has already ended is left as it is (exit 0).
USAGE
}

TIMEOUT=60
while (($#)); do
    case "$1" in
        --rest) FLINK_REST="$2"; shift 2 ;;
        --timeout) TIMEOUT="$2"; shift 2 ;;
        --run-dir) RUN_DIR="$2"; shift 2 ;;
        -h | --help) usage; exit 0 ;;
        -*) usage >&2; die "unknown option: $1" ;;
        *) break ;;
    esac
done
(($# == 1)) || { usage >&2; exit 2; }
need_cmd curl
JOB_ID="$1"
state="$(json_str state "$(rest_get "/jobs/$JOB_ID")")" || die "no job $JOB_ID at $(flink_rest)"
case "$state" in
    FINISHED | FAILED | CANCELED)
        log "job $JOB_ID already ended ($state)"
        exit 0
        ;;
esac
curl -sS -f --max-time 10 -X PATCH "$(flink_rest)/jobs/$JOB_ID?mode=cancel" >/dev/null \
    || die "cancel request for $JOB_ID failed"
log "cancelling job $JOB_ID"
exec "$DEPLOY_DIR/bin/job-status.sh" --rest "$(flink_rest)" --wait CANCELED --timeout "$TIMEOUT" "$JOB_ID" >/dev/null
