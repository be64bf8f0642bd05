#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Submits a job jar to a Flink session cluster through the REST API (/jars/upload, then
# /jars/:id/run), prints the job id on stdout and waits until the job runs. main() runs inside the
# JobManager, so every class the job's functions reference must load there (DJL is in the
# cluster's lib for that reason).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

usage() {
    cat <<USAGE
usage: submit.sh [options] JAR MAINCLASS [ARGS...]
       submit.sh [options] --jar-id ID MAINCLASS [ARGS...]
       submit.sh [--rest URL] [--run-dir DIR] --upload-only JAR

Prints the job id (only that) on stdout; progress goes to stderr.

options:
  --rest URL              JobManager REST address (default \$FLINK_REST, else RUN_DIR's rest.port, else http://127.0.0.1:8081)
  --jar-id ID             run a jar uploaded before (as listed by GET /jars) instead of uploading JAR
  --upload-only           upload JAR, print its id (for --jar-id) and exit; a restarted JobManager
                          no longer lists the jars uploaded to the one before
  --parallelism N         job parallelism (default: the cluster's parallelism.default)
  --from-savepoint PATH   start from a savepoint or retained checkpoint
  --allow-non-restored    with --from-savepoint: skip state that maps to no operator
  --no-wait               return once the job is submitted
  --timeout SECONDS       wait this long for RUNNING (default 180)
  --run-dir DIR           read the REST port from this run directory (default \$TOCOM_RUN_DIR or deploy/run)

The job is RUNNING when it is scheduled; a bounded job that ends before the first poll counts as
well (FINISHED). FAILED, CANCELED or a failing /run print the root cause and exit 1.
USAGE
}

JAR_ID="" UPLOAD_ONLY=false PARALLELISM="" SAVEPOINT="" ALLOW_NON_RESTORED=false WAIT=true TIMEOUT=180
while (($#)); do
    case "$1" in
        --rest) FLINK_REST="$2"; shift 2 ;;
        --jar-id) JAR_ID="$2"; shift 2 ;;
        --parallelism) PARALLELISM="$2"; shift 2 ;;
        --from-savepoint) SAVEPOINT="$2"; shift 2 ;;
        --allow-non-restored) ALLOW_NON_RESTORED=true; shift ;;
        --no-wait) WAIT=false; shift ;;
        --upload-only) UPLOAD_ONLY=true; shift ;;
        --timeout) TIMEOUT="$2"; shift 2 ;;
        --run-dir) RUN_DIR="$2"; shift 2 ;;
        -h | --help) usage; exit 0 ;;
        --) shift; break ;;
        -*) usage >&2; die "unknown option: $1" ;;
        *) break ;;
    esac
done
need_cmd curl
if $UPLOAD_ONLY; then
    [[ -z "$JAR_ID" ]] && (($# == 1)) || { usage >&2; exit 2; }
elif [[ -z "$JAR_ID" ]]; then
    (($# >= 2)) || { usage >&2; exit 2; }
fi
if [[ -z "$JAR_ID" ]]; then
    JAR="$1"
    shift
    [[ -f "$JAR" ]] || die "no such jar: $JAR"
fi
if ! $UPLOAD_ONLY; then
    (($# >= 1)) || { usage >&2; exit 2; }
    MAIN_CLASS="$1"
    shift
fi
REST="$(flink_rest)"

if [[ -z "$JAR_ID" ]]; then
    log "uploading $JAR ($(du -h "$JAR" | cut -f1)) to $REST"
    # "Expect:" stops curl from waiting for a 100-continue the server never sends.
    reply="$(curl -sS --max-time 600 -X POST -H 'Expect:' -F "jarfile=@$JAR;type=application/x-java-archive" "$REST/jars/upload")" \
        || die "upload to $REST failed"
    [[ "$(json_str status "$reply")" == success ]] || die "upload refused: $reply"
    JAR_ID="$(basename "$(json_str filename "$reply")")"
    log "uploaded as $JAR_ID"
fi
if $UPLOAD_ONLY; then
    printf '%s\n' "$JAR_ID"
    exit 0
fi

body="{\"entryClass\":$(json_quote "$MAIN_CLASS"),\"programArgsList\":["
sep=""
for arg in "$@"; do
    body+="$sep$(json_quote "$arg")"
    sep=","
done
body+="]"
[[ -z "$PARALLELISM" ]] || body+=",\"parallelism\":$PARALLELISM"
[[ -z "$SAVEPOINT" ]] || body+=",\"savepointPath\":$(json_quote "$SAVEPOINT")"
$ALLOW_NON_RESTORED && body+=",\"allowNonRestoredState\":true"
body+="}"

log "running $MAIN_CLASS $*"
reply="$(curl -sS --max-time 300 -X POST -H 'Content-Type: application/json' -d "$body" "$REST/jars/$JAR_ID/run")" \
    || die "POST $REST/jars/$JAR_ID/run failed"
JOB_ID="$(json_str jobid "$reply")"
if [[ -z "$JOB_ID" ]]; then
    # Flink puts the client-side exception (main() failed in the JobManager) into "errors".
    printf '%s\n' "$reply" | sed 's/\\n/\n/g; s/\\t/\t/g' | sed -n 1,60p >&2
    die "the JobManager did not start the job"
fi
log "submitted job $JOB_ID"
printf '%s\n' "$JOB_ID"
$WAIT || exit 0
exec "$DEPLOY_DIR/bin/job-status.sh" --rest "$REST" --wait RUNNING --timeout "$TIMEOUT" "$JOB_ID" >/dev/null
