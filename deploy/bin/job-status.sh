#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Prints the state of one job, or lists the cluster's jobs; optionally waits for a state.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

usage() {
    cat <<USAGE
usage: job-status.sh [options] [JOBID]

Without JOBID: one line per job (id, state, name). With JOBID: its state (e.g. RUNNING).

options:
  --rest URL         JobManager REST address (default \$FLINK_REST, else RUN_DIR's rest.port, else http://127.0.0.1:8081)
  --wait STATE       wait until JOBID reaches STATE (RUNNING also accepts FINISHED); exit 1 if the job
                     reaches another terminal state first (FAILED, CANCELED, FINISHED), printing its
                     root exception
  --timeout SECONDS  how long --wait waits (default 180)
  --exceptions       print the job's root exception and recent failures (failover history)
  --run-dir DIR      read the REST port from this run directory (default \$TOCOM_RUN_DIR or deploy/run)
USAGE
}

WAIT_STATE="" TIMEOUT=180 EXCEPTIONS=false
while (($#)); do
    case "$1" in
        --rest) FLINK_REST="$2"; shift 2 ;;
        --wait) WAIT_STATE="$2"; shift 2 ;;
        --timeout) TIMEOUT="$2"; shift 2 ;;
        --exceptions) EXCEPTIONS=true; shift ;;
        --run-dir) RUN_DIR="$2"; shift 2 ;;
        -h | --help) usage; exit 0 ;;
        -*) usage >&2; die "unknown option: $1" ;;
        *) break ;;
    esac
done
need_cmd curl
JOB_ID="${1:-}"

if [[ -z "$JOB_ID" ]]; then
    [[ -z "$WAIT_STATE" ]] || die "--wait needs a JOBID"
    # {"jobs":[{"jid":"..","name":"..","state":"..",...},...]}
    rest_get /jobs/overview | sed 's/},{/}\n{/g' | while IFS= read -r job || [[ -n "$job" ]]; do
        jid="$(json_str jid "$job")"
        [[ -n "$jid" ]] && printf '%s  %-10s  %s\n' "$jid" "$(json_str state "$job")" "$(json_str name "$job")"
    done
    exit 0
fi

job_state() {
    json_str state "$(rest_get "/jobs/$JOB_ID")"
}

# The failures Flink recorded for the job, newest first: each one's exception line and its deepest
# "Caused by" line.
root_exception() {
    local json traces trace
    json="$(rest_get "/jobs/$JOB_ID/exceptions?maxExceptions=5")"
    traces="$({ grep -oE '"stacktrace":"([^"\\]|\\.)*"' <<<"$json" || true; } | sed -n 1,5p)"
    if [[ -z "$traces" ]]; then
        echo "no failures recorded for job $JOB_ID"
        return 0
    fi
    while IFS= read -r trace; do
        trace="${trace#\"stacktrace\":\"}"
        trace="$(printf '%s' "${trace%\"}" | sed 's/\\n/\n/g; s/\\t/  /g; s/\\"/"/g')"
        printf -- '- %s\n' "$(sed -n 1p <<<"$trace")"
        { grep '^Caused by:' <<<"$trace" || true; } | sed -n '$s/^/    /p'
    done <<<"$traces"
}

if $EXCEPTIONS; then
    root_exception
    exit 0
fi

if [[ -z "$WAIT_STATE" ]]; then
    state="$(job_state)" || die "no job $JOB_ID at $(flink_rest)"
    printf '%s\n' "$state"
    exit 0
fi

deadline=$((SECONDS + TIMEOUT))
while :; do
    state="$(job_state 2>/dev/null || true)"
    if [[ "$state" == "$WAIT_STATE" || ("$WAIT_STATE" == RUNNING && "$state" == FINISHED) ]]; then
        log "job $JOB_ID is $state"
        printf '%s\n' "$state"
        exit 0
    fi
    case "$state" in
        FAILED | CANCELED | FINISHED)
            log "job $JOB_ID is $state, not $WAIT_STATE; root exception:"
            root_exception >&2 || true
            exit 1
            ;;
    esac
    ((SECONDS < deadline)) || {
        log "job $JOB_ID still ${state:-unknown} after ${TIMEOUT}s (waiting for $WAIT_STATE)"
        exit 1
    }
    sleep 1
done
