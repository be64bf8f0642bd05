#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Cancels a job (PATCH /jobs/:id?mode=cancel) and waits until it is CANCELED, or, with --savepoint,
# stops it with a savepoint (POST /jobs/:id/stop) and prints the savepoint's location, to resume
# from with submit.sh --from-savepoint.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

usage() {
    cat <<USAGE
usage: cancel.sh [--rest URL] [--savepoint DIR] [--timeout SECONDS] [--run-dir DIR] JOBID

  --savepoint DIR    stop with a savepoint written under DIR (a URI every host can reach, e.g.
                     file:///shared/savepoints or s3://bucket/savepoints); prints its location

  --rest URL         JobManager REST address (default \$FLINK_REST, else RUN_DIR's rest.port, else http://127.0.0.1:8081)
  --timeout SECONDS  wait this long for CANCELED (default 60)
  --run-dir DIR      read the REST port from this run directory (default \$TOCOM_RUN_DIR or deploy/run)
A job that has already ended is left as it is (exit 0).
USAGE
}

TIMEOUT=60 SAVEPOINT_DIR=""
while (($#)); do
    case "$1" in
        --rest) FLINK_REST="$2"; shift 2 ;;
        --savepoint) SAVEPOINT_DIR="$2"; shift 2 ;;
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
if [[ -n "$SAVEPOINT_DIR" ]]; then
    reply="$(curl -sS -f --max-time 10 -X POST -H 'Content-Type: application/json' \
        -d "{\"targetDirectory\":$(json_quote "$SAVEPOINT_DIR"),\"drain\":false}" \
        "$(flink_rest)/jobs/$JOB_ID/stop")" || die "stop-with-savepoint request for $JOB_ID failed"
    request="$(json_str request-id "$reply")"
    [[ -n "$request" ]] || die "stop-with-savepoint refused: $reply"
    log "stopping job $JOB_ID with a savepoint under $SAVEPOINT_DIR"
    deadline=$((SECONDS + TIMEOUT))
    while :; do
        reply="$(rest_get "/jobs/$JOB_ID/savepoints/$request")" || die "no savepoint status for $JOB_ID"
        case "$(json_str id "$reply")" in
            COMPLETED) break ;;
            IN_PROGRESS) ;;
            *) die "unexpected savepoint status: $reply" ;;
        esac
        ((SECONDS < deadline)) || die "savepoint of $JOB_ID not done after ${TIMEOUT}s"
        sleep 1
    done
    location="$(json_str location "$reply")"
    [[ -n "$location" ]] || die "the savepoint failed: $(printf '%s' "$reply" | sed 's/\\n/\n/g' | sed -n 1,20p)"
    log "job $JOB_ID stopped; savepoint $location"
    printf '%s\n' "$location"
    exit 0
fi
curl -sS -f --max-time 10 -X PATCH "$(flink_rest)/jobs/$JOB_ID?mode=cancel" >/dev/null \
    || die "cancel request for $JOB_ID failed"
log "cancelling job $JOB_ID"
exec "$DEPLOY_DIR/bin/job-status.sh" --rest "$(flink_rest)" --wait CANCELED --timeout "$TIMEOUT" "$JOB_ID" >/dev/null
