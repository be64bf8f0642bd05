#!/usr/bin/env bash
# The cluster test: the deploy/bin scripts start a Kafka broker and a standalone Flink cluster (a
# JobManager JVM and a TaskManager JVM from Maven Central jars, the TaskManager sized as a small one:
# 2560m process, 448 MiB heap), and the streaming job jar is submitted through the REST API
#
#   1. twice to the same TaskManager: both runs (bounded, each with its own labels topic and
#      consumer group) must label every frame of the frames topic. The second run is the one that
#      fails with "UnsatisfiedLinkError ... already loaded in another classloader" when DJL comes
#      from the job jar's class loader instead of the cluster's lib;
#   2. the load controller on the cluster: the job with --control adaptive over a backlog
#      of frames that are already late must label every frame once, run batches at a compressed
#      level, and read the Kafka source's pendingRecords through the backlog-bridge reporter that
#      cluster-start.sh puts on the Flink classpath (the upstreamPendingRecords metric, >= 0, not
#      the -1 of "unknown");
#   3. the short fault matrix (fault-rows.sh; fault-matrix.sh runs the long one): with exactly-once
#      delivery while frames keep arriving, the TaskManager killed (kill -9), the broker killed
#      (kill -9, restarted after 20 s), the broker frozen (SIGSTOP, 30 s), the JobManager killed
#      and the job resumed from its latest retained checkpoint; then 1,000 hostile records. The
#      read_committed view must hold every frame exactly once (labelled, or dead-lettered with a
#      reason for the hostile records). The table goes to RUN_DIR/fault-matrix.md and .json.
#
# Frames are identified by (stream id, frame-seq header); labels by their "stream" and "seq"
# fields. The expected set is read back from the frames topic itself.
#
# Needs: the job jar (mvn -B verify or package builds flink-job/target/tocom-stream.jar), bash,
# curl, Java 17, Maven (the lib dirs are built here, from Maven Central). Runs in about ten minutes;
# everything it starts is stopped on exit, also on failure or Ctrl-C.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../bin/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../bin/common.sh"

usage() {
    cat <<USAGE
usage: deploy/test/cluster-test.sh [options]

options:
  --job-jar JAR      the job jar (default flink-job/target/tocom-stream.jar)
  --build-job        build the job jar first if it is missing (mvn -DskipTests package)
  --skip-lib-build   use deploy/flink-lib and deploy/kafka-lib target/lib as they are
  --run-dir DIR      where processes keep logs and data (default deploy/target/cluster-test;
                     emptied at the start)
  --rows "ROW..."    the fault rows of part 3 (default: all: $ROWS)
  --keep             leave the broker and the cluster running at the end (stop them with
                     deploy/bin/cluster-stop.sh / kafka-stop.sh --run-dir DIR)
  -h, --help

environment:
  CLUSTER_TEST_HOOKS  a bash file sourced after the defaults (deploy/test/lib.sh); it may redefine
                      make_model, produce_frames and stream_job_args to run the same test with
                      another job.
USAGE
}

JOB_JAR="$REPO_DIR/flink-job/target/tocom-stream.jar"
BUILD_JOB=false BUILD_LIBS=true KEEP=false
RUN_DIR="$DEPLOY_DIR/target/cluster-test"
ROWS="tm-kill broker-kill broker-freeze jm-kill hostile"
while (($#)); do
    case "$1" in
        --job-jar) JOB_JAR="$2"; shift 2 ;;
        --build-job) BUILD_JOB=true; shift ;;
        --skip-lib-build) BUILD_LIBS=false; shift ;;
        --run-dir) RUN_DIR="$2"; shift 2 ;;
        --rows) ROWS="$2"; shift 2 ;;
        --keep) KEEP=true; shift ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
done
RUN_DIR="$(abspath "$RUN_DIR")"
export TOCOM_RUN_DIR="$RUN_DIR"

# ---- The job under test ---------------------------------------------------------------------------
STREAMS=2                # frame streams (cameras)
FRAMES_PER_STREAM=40     # frames per stream for the two back-to-back runs
CTL_FRAMES_PER_STREAM=200 # frames per stream of the controller's backlog
CTL_LADDER="none;tome:2;tome:4;tome:6"
CHECKPOINT_INTERVAL=2s
PARTITIONS=2
SLOTS=2
# The short fault matrix: each fault row sends 2 x 320 frames at 8 per second per stream (40 s),
# the fault after 5 s of committed labels; 1,000 hostile records.
FAULT_FRAMES_PER_STREAM=320 FAULT_FPS=8 FAULT_LEAD_S=5 BROKER_DOWN_S=20 BROKER_FREEZE_S=30
HOSTILE_RECORDS=1000

# shellcheck source=lib.sh
source "$DEPLOY_DIR/test/lib.sh"
# shellcheck source=fault-rows.sh
source "$DEPLOY_DIR/test/fault-rows.sh"

# The broker takes records up to 10 MB (large camera frames; the hostile row sends 1.5 MB ones).
# Short heartbeats so that a killed TaskManager or JobManager is noticed within seconds, not 50 s.
# GC logs (epoch milliseconds) give the TaskManager's heap peaks.
setup_cluster --message-max-bytes 10485760 -- --slots "$SLOTS" --tm-memory 2560m --heartbeat 1000:6000 \
    --torch-threads 1 --java-opts "-Xlog:gc:file=$RUN_DIR/flink/log/gc-%p.log:tm"

# ---- 1. Two submissions to the same TaskManager -------------------------------------------------
log "=== 1. two REST submissions of the job to one TaskManager"
topic frames
topic labels-run1
topic labels-run2
produce_frames frames cam- "$FRAMES_PER_STREAM" 0 >"$RUN_DIR/produce-1.log" 2>&1 \
    || { tail -20 "$RUN_DIR/produce-1.log" >&2; fail "producing frames"; }
frame_ids frames $((STREAMS * FRAMES_PER_STREAM)) >"$RUN_DIR/frames.ids"
(($(wc -l <"$RUN_DIR/frames.ids") == STREAMS * FRAMES_PER_STREAM)) \
    || fail "frames topic holds $(wc -l <"$RUN_DIR/frames.ids") frames, expected $((STREAMS * FRAMES_PER_STREAM))"
TM_ID_BEFORE="$(tm_id)" TM_PID_BEFORE="$(tm_pid)"

N_FRAMES=$((STREAMS * FRAMES_PER_STREAM))
for run in 1 2; do
    t0=$SECONDS
    start_labels_consumer "labels-run$run" "$RUN_DIR/labels-run$run.raw"
    job="$(submit frames "labels-run$run" "run$run" at-least-once true)"
    "$BIN/job-status.sh" --wait FINISHED --timeout 240 "$job" >/dev/null || fail "run $run did not finish"
    ran_on="$(job_taskmanagers "$job")"
    [[ "$ran_on" == "$TM_ID_BEFORE" ]] || fail "run $run ran on '${ran_on//$'\n'/ }', not on TaskManager $TM_ID_BEFORE"
    wait_labels "$RUN_DIR/labels-run$run.raw" "$N_FRAMES" 30 2 || true
    stop_labels_consumer "labels-run$run"
    label_ids "$RUN_DIR/labels-run$run.raw" >"$RUN_DIR/labels-run$run.ids"
    check_exactly_once "run $run" "$RUN_DIR/frames.ids" "$RUN_DIR/labels-run$run.ids" \
        || fail "run $run did not label every frame once"
    log "run $run: job $job FINISHED on TaskManager $TM_ID_BEFORE in $((SECONDS - t0)) s"
done
if [[ "$(tm_pid)" != "$TM_PID_BEFORE" ]] || ! kill -0 "$TM_PID_BEFORE"; then
    fail "the TaskManager process changed between the runs"
fi
if grep -q 'UnsatisfiedLinkError' "$RUN_DIR"/flink/log/*.log; then
    fail "UnsatisfiedLinkError in the cluster logs"
fi

# ---- 2. The load controller on the cluster --------------------------------------------------------
log "=== 2. the adaptive load controller on the cluster, over a backlog of late frames"
topic frames-ctl
topic labels-ctl
produce_frames frames-ctl ctl- "$CTL_FRAMES_PER_STREAM" 0 >"$RUN_DIR/produce-ctl.log" 2>&1 \
    || { tail -20 "$RUN_DIR/produce-ctl.log" >&2; fail "producing the controller's frames"; }
CTL_TOTAL=$((STREAMS * CTL_FRAMES_PER_STREAM))
frame_ids frames-ctl "$CTL_TOTAL" >"$RUN_DIR/frames-ctl.ids"
(($(wc -l <"$RUN_DIR/frames-ctl.ids") == CTL_TOTAL)) \
    || fail "frames-ctl holds $(wc -l <"$RUN_DIR/frames-ctl.ids") frames, expected $CTL_TOTAL"
t0=$SECONDS
start_labels_consumer labels-ctl "$RUN_DIR/labels-ctl.raw"
job="$(submit frames-ctl labels-ctl ctl at-least-once false --control adaptive --ladder "$CTL_LADDER")"
wait_labels "$RUN_DIR/labels-ctl.raw" "$CTL_TOTAL" 240 2 || fail "the controlled job labelled too few frames in 240 s"
stop_labels_consumer labels-ctl
label_ids "$RUN_DIR/labels-ctl.raw" >"$RUN_DIR/labels-ctl.ids"
check_exactly_once "controlled run" "$RUN_DIR/frames-ctl.ids" "$RUN_DIR/labels-ctl.ids" \
    || fail "the controlled run did not label every frame once"
levels="$(grep -o '"level":{"method":"[a-z]*","schedule":"[^"]*"' "$RUN_DIR/labels-ctl.raw" \
    | sed 's/.*"schedule":"\([^"]*\)"/\1/' | sort | uniq -c | sort -rn | awk '{printf "%s%s x%s", sep, $2, $1; sep=", "}')"
log "controlled run: labels by level: $levels"
grep -q '"level":{"method":"tome"' "$RUN_DIR/labels-ctl.raw" \
    || fail "no batch of the controlled run ran compressed: the controller did not act on the backlog"
# The bridge: each inference subtask read its source's pendingRecords (>= 0; -1 means unknown).
pending=""
deadline=$((SECONDS + 30))
until [[ -n "$pending" ]] && ! grep -q -- '^-1$\|^$' <<<"$pending"; do
    ((SECONDS < deadline)) || break
    sleep 1
    pending="$(operator_metric "$job" upstreamPendingRecords)"
done
changes="$(operator_metric "$job" levelChanges | tr '\n' ' ')"
log "controlled run: upstreamPendingRecords per subtask: $(tr '\n' ' ' <<<"$pending"); levelChanges: $changes"
[[ -n "$pending" ]] || fail "no upstreamPendingRecords metric on the inference operator"
! grep -q -- '^-1$\|^$' <<<"$pending" \
    || fail "the inference operator does not see the Kafka source's pendingRecords (backlog bridge not loaded?)"
"$BIN/cancel.sh" "$job"
log "controlled run: job $job in $((SECONDS - t0)) s"

# ---- 3. The short fault matrix ---------------------------------------------------------------------
log "=== 3. the short fault matrix: $ROWS"
ROWS_TSV="$RUN_DIR/fault-matrix.tsv"
: >"$ROWS_TSV"
run_rows
rows_table | tee "$RUN_DIR/fault-matrix.md" >&2
rows_json >"$RUN_DIR/fault-matrix.json"

log "PASSED in $((SECONDS - START)) s"
