#!/usr/bin/env bash
# The long fault matrix: the rows of fault-rows.sh (TaskManager kill -9, broker kill -9 restarted
# after 20 s, broker SIGSTOP for 30 s, JobManager kill -9 and resume from the latest retained
# checkpoint, 10,000 hostile records) on a standalone cluster with a small TaskManager (2560m
# process, 448 MiB heap), the job with exactly-once delivery. Each fault row streams 2 x 960 frames
# at 8 per second per stream (two minutes), the fault after 20 s of committed labels. Prints the
# table (src/docs/reliability.md) and writes it with its JSON to --out. cluster-test.sh runs the
# short form in CI. About 15 minutes on 2 cores.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../bin/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../bin/common.sh"

ROWS="tm-kill broker-kill broker-freeze jm-kill hostile"
usage() {
    cat <<USAGE
usage: deploy/test/fault-matrix.sh [options]

options:
  --rows "ROW..."        which rows, in this order: $ROWS (default all)
  --frames N             frames per stream of each fault row (default 960, at 8 per second)
  --hostile-records N    records of the hostile row (default 10000)
  --tm-memory SIZE       the TaskManager's process size (default 2560m: 448 MiB heap)
  --out DIR              where the table and JSON go (default deploy/target/fault-matrix)
  --job-jar JAR          the job jar (default flink-job/target/tocom-stream.jar)
  --build-job            build the job jar first if it is missing
  --skip-lib-build       use deploy/flink-lib and deploy/kafka-lib target/lib as they are
  --run-dir DIR          processes' logs and data (default deploy/target/fault-matrix/run; emptied)
  --keep                 leave the broker and the cluster running at the end
  -h, --help
USAGE
}

JOB_JAR="$REPO_DIR/flink-job/target/tocom-stream.jar"
BUILD_JOB=false BUILD_LIBS=true KEEP=false TM_MEMORY=2560m
OUT_DIR="$DEPLOY_DIR/target/fault-matrix"
RUN_DIR=""
FAULT_FRAMES_PER_STREAM=960 FAULT_FPS=8 FAULT_LEAD_S=20 BROKER_DOWN_S=20 BROKER_FREEZE_S=30
HOSTILE_RECORDS=10000
while (($#)); do
    case "$1" in
        --rows) ROWS="$2"; shift 2 ;;
        --frames) FAULT_FRAMES_PER_STREAM="$2"; shift 2 ;;
        --hostile-records) HOSTILE_RECORDS="$2"; shift 2 ;;
        --tm-memory) TM_MEMORY="$2"; shift 2 ;;
        --out) OUT_DIR="$2"; shift 2 ;;
        --job-jar) JOB_JAR="$2"; shift 2 ;;
        --build-job) BUILD_JOB=true; shift ;;
        --skip-lib-build) BUILD_LIBS=false; shift ;;
        --run-dir) RUN_DIR="$2"; shift 2 ;;
        --keep) KEEP=true; shift ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
done
for n in FAULT_FRAMES_PER_STREAM HOSTILE_RECORDS; do
    [[ "${!n}" =~ ^[0-9]+$ && "${!n}" -gt 0 ]] || die "$n must be a positive number, was ${!n}"
done
OUT_DIR="$(abspath "$OUT_DIR")"
RUN_DIR="$(abspath "${RUN_DIR:-$OUT_DIR/run}")"
export TOCOM_RUN_DIR="$RUN_DIR"
STREAMS=2 PARTITIONS=2 SLOTS=2 CHECKPOINT_INTERVAL=2s

# shellcheck source=lib.sh
source "$DEPLOY_DIR/test/lib.sh"
# shellcheck source=fault-rows.sh
source "$DEPLOY_DIR/test/fault-rows.sh"

setup_cluster --message-max-bytes 10485760 -- --slots "$SLOTS" --tm-memory "$TM_MEMORY" \
    --heartbeat 1000:6000 --torch-threads 1 --java-opts "-Xlog:gc:file=$RUN_DIR/flink/log/gc-%p.log:tm"
mkdir -p "$OUT_DIR"
ROWS_TSV="$OUT_DIR/fault-matrix.tsv"
: >"$ROWS_TSV"
run_rows
{
    printf 'Fault matrix, %s, %s; %s; TaskManager %s (-Xmx %s MB), 2 slots, checkpoints every %s.\n\n' \
        "$(date -u +%Y-%m-%d)" "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | sed -n 1p)" \
        "$(nproc) cores" "$TM_MEMORY" "$(tm_heap_max_mb)" "$CHECKPOINT_INTERVAL"
    rows_table
} | tee "$OUT_DIR/fault-matrix.md"
rows_json >"$OUT_DIR/fault-matrix.json"
log "PASSED in $((SECONDS - START)) s; table in $OUT_DIR/fault-matrix.md, JSON in $OUT_DIR/fault-matrix.json"
