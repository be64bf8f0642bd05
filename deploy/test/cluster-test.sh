#!/usr/bin/env bash
# The cluster test: the deploy/bin scripts start a Kafka broker and a standalone Flink
# cluster (a JobManager JVM and a TaskManager JVM from Maven Central jars), and the streaming job
# jar is submitted through the REST API
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
#   3. with exactly-once delivery while frames keep arriving: the TaskManager is killed (kill -9)
#      mid-stream and a new one started; the read_committed view of the labels topic must then
#      hold every frame exactly once.
#
# Frames are identified by (stream id, frame-seq header); labels by their "stream" and "seq"
# fields. The expected set is read back from the frames topic itself.
#
# Needs: the job jar (mvn -B verify or package builds flink-job/target/tocom-stream.jar), bash,
# curl, Java 17, Maven (the lib dirs are built here, from Maven Central). Runs in a few minutes;
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
  --keep             leave the broker and the cluster running at the end (stop them with
                     deploy/bin/cluster-stop.sh / kafka-stop.sh --run-dir DIR)
  -h, --help

environment:
  CLUSTER_TEST_HOOKS  a bash file sourced after the defaults below; it may redefine make_model,
                      produce_frames and stream_job_args to run the same test with another job.
USAGE
}

JOB_JAR="$REPO_DIR/flink-job/target/tocom-stream.jar"
BUILD_JOB=false BUILD_LIBS=true KEEP=false
RUN_DIR="$DEPLOY_DIR/target/cluster-test"
while (($#)); do
    case "$1" in
        --job-jar) JOB_JAR="$2"; shift 2 ;;
        --build-job) BUILD_JOB=true; shift ;;
        --skip-lib-build) BUILD_LIBS=false; shift ;;
        --run-dir) RUN_DIR="$2"; shift 2 ;;
        --keep) KEEP=true; shift ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
done
RUN_DIR="$(abspath "$RUN_DIR")"
export TOCOM_RUN_DIR="$RUN_DIR"
BIN="$DEPLOY_DIR/bin"

# ---- The job under test ---------------------------------------------------------------------------
JOB_MAIN=org.tocomstream.job.StreamJob
STREAMS=2                # frame streams (cameras)
FRAMES_PER_STREAM=40     # frames per stream for the two back-to-back runs
CTL_FRAMES_PER_STREAM=200 # frames per stream of the controller's backlog
CTL_LADDER="none;tome:2;tome:4;tome:6"
EO_FRAMES_PER_STREAM=240 # frames per stream for the exactly-once run ...
EO_FPS=8                 # ... at this rate per stream, so it lasts ~30 s
CHECKPOINT_INTERVAL=2s
PARTITIONS=2

# make_model DIR: a model directory the job can load (readable by the JobManager and TaskManager).
make_model() {
    java -jar "$JOB_JAR" train --preset vit_demo --generator --train-size 32 --val-size 8 \
        --epochs 1 --batch 32 --out "$1"
}

# produce_frames TOPIC STREAM_PREFIX FRAMES_PER_STREAM FPS: writes frames in the wire format.
produce_frames() {
    java -jar "$JOB_JAR" produce --bootstrap "$BOOTSTRAP" --topic "$1" --generator \
        --streams "$STREAMS" --stream-prefix "$2" --count "$3" --fps "$4" --partitions "$PARTITIONS"
}

# stream_job_args FRAMES_TOPIC LABELS_TOPIC GROUP DELIVERY BOUNDED(true|false): the job's arguments.
stream_job_args() {
    local args=(--bootstrap "$BOOTSTRAP" --model "$MODEL_DIR" --frames-topic "$1" --labels-topic "$2"
        --dead-letter-topic "$2-dead-letter" --group-id "$3" --starting-offsets earliest
        --delivery "$4" --checkpoint-interval "$CHECKPOINT_INTERVAL"
        --transactional-id-prefix "cluster-test-$3" --job-name "cluster-test $3")
    [[ "$5" == true ]] && args+=(--bounded)
    printf '%s\n' "${args[@]}"
}

if [[ -n "${CLUSTER_TEST_HOOKS:-}" ]]; then
    # shellcheck source=/dev/null
    source "$CLUSTER_TEST_HOOKS"
fi

# ---- Set-up and clean-up --------------------------------------------------------------------------
PRODUCER_PID=""
declare -A CONSUMER_PIDS=() # labels topic -> pid of its background consumer
START=$SECONDS

# Kills a process and its descendants (the background producer is a subshell running java).
kill_tree() { # PID
    local child
    for child in $(cat /proc/"$1"/task/*/children 2>/dev/null || ps -o pid= --ppid "$1" 2>/dev/null); do
        kill_tree "$child"
    done
    kill "$1" 2>/dev/null || true
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    [[ -z "$PRODUCER_PID" ]] || kill_tree "$PRODUCER_PID"
    for t in "${!CONSUMER_PIDS[@]}"; do
        stop_labels_consumer "$t"
    done
    if ((rc != 0)); then
        log "FAILED (exit $rc) after $((SECONDS - START)) s; last lines of the logs:"
        for f in "$RUN_DIR"/flink/log/*.log "$RUN_DIR"/kafka/logs/server.log; do
            [[ -f "$f" ]] || continue
            printf '\n==> %s <==\n' "$f" >&2
            grep -E 'ERROR|Exception' "$f" | tail -15 >&2 || true
        done
        log "full logs under $RUN_DIR"
    fi
    if $KEEP && ((rc == 0)); then
        log "--keep: broker and cluster left running (REST $(flink_rest), bootstrap $BOOTSTRAP)"
    else
        "$BIN/cluster-stop.sh" --run-dir "$RUN_DIR" --timeout 20 || true
        "$BIN/kafka-stop.sh" --run-dir "$RUN_DIR" --timeout 20 || true
        # Uploaded jars and blob caches (hundreds of MB per job) and data are not worth keeping;
        # logs are.
        rm -rf "$RUN_DIR/flink/upload" "$RUN_DIR/flink/tmp" "$RUN_DIR/flink/checkpoints" \
            "$RUN_DIR/kafka/data" "$RUN_DIR/model"
    fi
    exit "$rc"
}

fail() {
    log "FAIL: $*"
    exit 1
}

need_cmd curl
if [[ ! -f "$JOB_JAR" ]]; then
    $BUILD_JOB || die "no job jar at $JOB_JAR; run mvn -B verify (or pass --build-job)"
    log "building the job jar"
    (cd "$REPO_DIR" && mvn -B -q -DskipTests package -pl flink-job -am)
fi
if $BUILD_LIBS; then
    log "building the cluster lib dirs from Maven Central"
    mvn -B -q -f "$DEPLOY_DIR/kafka-lib/pom.xml" package
    mvn -B -q -f "$DEPLOY_DIR/flink-lib/pom.xml" package
fi

# A run directory of our own; processes left from an earlier run of it are stopped first.
"$BIN/cluster-stop.sh" --run-dir "$RUN_DIR" --timeout 10 >/dev/null 2>&1 || true
"$BIN/kafka-stop.sh" --run-dir "$RUN_DIR" --timeout 10 >/dev/null 2>&1 || true
rm -rf "$RUN_DIR"
mkdir -p "$RUN_DIR"
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port KAFKA_PORT
free_port KAFKA_CONTROLLER_PORT
free_port REST_PORT
free_port RPC_PORT
BOOTSTRAP="127.0.0.1:$KAFKA_PORT"
export FLINK_REST="http://127.0.0.1:$REST_PORT"

"$BIN/kafka-start.sh" --port "$KAFKA_PORT" --controller-port "$KAFKA_CONTROLLER_PORT" \
    --partitions "$PARTITIONS"
# Short heartbeats so that the killed TaskManager is declared dead within seconds, not 50 s.
"$BIN/cluster-start.sh" --rest-port "$REST_PORT" --rpc-port "$RPC_PORT" --slots 2 \
    --heartbeat 1000:6000 --torch-threads 1

MODEL_DIR="$RUN_DIR/model"
log "making a model directory"
make_model "$MODEL_DIR" >"$RUN_DIR/model.log" 2>&1 || { tail -20 "$RUN_DIR/model.log" >&2; fail "make_model"; }

# ---- Helpers for the checks -----------------------------------------------------------------------
topic() { # NAME
    "$BIN/kafka-tool.sh" topics --bootstrap-server "$BOOTSTRAP" --create --if-not-exists \
        --topic "$1" --partitions "$PARTITIONS" --replication-factor 1 >/dev/null
}

# "stream,seq" of the first COUNT records of a frames topic, one per line, sorted. The long timeout
# covers the broker's first consumer group set-up (__consumer_offsets).
frame_ids() { # TOPIC COUNT
    "$BIN/kafka-tool.sh" console-consumer --bootstrap-server "$BOOTSTRAP" --topic "$1" \
        --from-beginning --max-messages "$2" --timeout-ms 30000 --formatter-property print.key=true \
        --formatter-property print.headers=true --formatter-property print.value=false \
        --formatter-property key.separator='|' 2>/dev/null \
        | sed -n 's/^\(.*,\)\{0,1\}frame-seq:\([0-9]*\).*|\(.*\)$/\3,\2/p' | sort
}

# A read_committed consumer of a labels topic, in the background from the beginning, writing the
# records to RAW_FILE as they arrive (kafka-tool.sh execs java, so the pid is the JVM's). It also
# ends by itself after 5 minutes without a record, longer than any wait below, so that no consumer
# can outlive the test by much.
start_labels_consumer() { # TOPIC RAW_FILE
    "$BIN/kafka-tool.sh" console-consumer --bootstrap-server "$BOOTSTRAP" --topic "$1" \
        --from-beginning --isolation-level read_committed --timeout-ms 300000 \
        >"$2" 2>>"$RUN_DIR/consumer-$1.log" &
    CONSUMER_PIDS[$1]=$!
}

stop_labels_consumer() { # TOPIC
    local pid="${CONSUMER_PIDS[$1]:-}"
    [[ -n "$pid" ]] || return 0
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    unset "CONSUMER_PIDS[$1]"
}

# "stream,seq" of each label record in a consumer's RAW_FILE, one per line, sorted.
label_ids() { # RAW_FILE
    awk 'match($0, /"stream":"[^"]*"/) { s = substr($0, RSTART + 10, RLENGTH - 11)
           if (match($0, /"seq":[0-9]+/)) print s "," substr($0, RSTART + 6, RLENGTH - 6) }' "$1" | sort
}

# Waits until RAW_FILE holds at least N distinct frames, then SETTLE more seconds, so that late
# duplicates would show.
wait_labels() { # RAW_FILE N TIMEOUT_S SETTLE_S
    local deadline=$((SECONDS + $3))
    until (($(label_ids "$1" | uniq | wc -l) >= $2)); do
        ((SECONDS < deadline)) || return 1
        sleep 0.5
    done
    sleep "$4"
}

# check_exactly_once NAME EXPECTED_FILE ACTUAL_FILE: every expected frame once, nothing else.
check_exactly_once() {
    local name="$1" expected="$2" actual="$3" missing dup extra
    missing="$(comm -23 <(sort -u "$expected") <(sort -u "$actual") | wc -l)"
    extra="$(comm -13 <(sort -u "$expected") <(sort -u "$actual") | wc -l)"
    dup="$(sort "$actual" | uniq -d | wc -l)"
    log "$name: $(wc -l <"$expected") frames, $(wc -l <"$actual") labels:" \
        "$missing missing, $dup duplicated, $extra unknown"
    ((missing == 0 && dup == 0 && extra == 0)) || {
        comm -3 <(sort -u "$expected") <(sort -u "$actual") | sed -n 1,10p >&2
        sort "$actual" | uniq -d | sed -n 1,10p >&2
        return 1
    }
}

tm_id() { cat "$RUN_DIR/flink/taskmanager-0.id"; }
tm_pid() { cat "$RUN_DIR/flink/taskmanager-0.pid"; }

# The TaskManager ids that ran any subtask of a job.
job_taskmanagers() { # JOBID
    local vid
    for vid in $(rest_get "/jobs/$1" | grep -o '"id":"[0-9a-f]\{32\}"' | sed 's/"id":"\(.*\)"/\1/' | sort -u); do
        rest_get "/jobs/$1/vertices/$vid/taskmanagers" | grep -o '"taskmanager-id":"[^"]*"' \
            | sed 's/"taskmanager-id":"\(.*\)"/\1/'
    done | sort -u
}

submit() { # FRAMES_TOPIC LABELS_TOPIC GROUP DELIVERY BOUNDED [MORE JOB ARGS...] -> job id on stdout
    local args
    mapfile -t args < <(stream_job_args "${@:1:5}")
    "$BIN/submit.sh" "$JOB_JAR" "$JOB_MAIN" "${args[@]}" "${@:6}"
}

urlencode() { # TEXT
    local s="$1" out="" c i
    for ((i = 0; i < ${#s}; i++)); do
        c="${s:i:1}"
        case "$c" in
            [a-zA-Z0-9._~-]) out+="$c" ;;
            *) out+="$(printf '%%%02X' "'$c")" ;;
        esac
    done
    printf '%s' "$out"
}

# The values of an operator metric of a running job, one line per subtask ("" while the REST
# metric store has not fetched it yet).
operator_metric() { # JOBID METRIC
    local vid id
    for vid in $(rest_get "/jobs/$1" | grep -o '"id":"[0-9a-f]\{32\}"' | sed 's/"id":"\(.*\)"/\1/' | sort -u); do
        { rest_get "/jobs/$1/vertices/$vid/metrics" || true; } | { grep -o "\"id\":\"[^\"]*\.$2\"" || true; } \
            | sed 's/"id":"\(.*\)"/\1/' | while read -r id; do
                json_str value "$({ rest_get "/jobs/$1/vertices/$vid/metrics?get=$(urlencode "$id")" || true; })"
                echo
            done
    done
}

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

# ---- 3. Exactly-once with the TaskManager killed mid-stream ---------------------------------------
log "=== 3. exactly-once, TaskManager killed with kill -9 mid-stream"
topic frames-eo
topic labels-eo
EO_TOTAL=$((STREAMS * EO_FRAMES_PER_STREAM))
EO_RAW="$RUN_DIR/labels-eo.raw"
start_labels_consumer labels-eo "$EO_RAW"
job="$(submit frames-eo labels-eo eo exactly-once false)"
produce_frames frames-eo eo-cam- "$EO_FRAMES_PER_STREAM" "$EO_FPS" >"$RUN_DIR/produce-eo.log" 2>&1 &
PRODUCER_PID=$!

# Kill once some labels are committed (a checkpoint completed) while frames still arrive.
wait_labels "$EO_RAW" 1 120 0 || fail "no committed labels within 120 s"
kill -0 "$PRODUCER_PID" 2>/dev/null || fail "the producer already ended: the kill would not be mid-stream"
log "$(label_ids "$EO_RAW" | wc -l) of $EO_TOTAL frames labelled and committed; killing the TaskManager"
"$BIN/tm-kill.sh" --timeout 90
[[ "$(tm_id)" != "$TM_ID_BEFORE" ]] || fail "the TaskManager was not replaced"
kill -0 "$PRODUCER_PID" 2>/dev/null || log "note: the producer ended while the TaskManager restarted"

wait "$PRODUCER_PID" || { tail -20 "$RUN_DIR/produce-eo.log" >&2; fail "the producer failed"; }
PRODUCER_PID=""
frame_ids frames-eo "$EO_TOTAL" >"$RUN_DIR/frames-eo.ids"
(($(wc -l <"$RUN_DIR/frames-eo.ids") == EO_TOTAL)) \
    || fail "frames-eo holds $(wc -l <"$RUN_DIR/frames-eo.ids") frames, expected $EO_TOTAL"

# Every frame committed, then three more checkpoint intervals in which a duplicate would show.
if ! wait_labels "$EO_RAW" "$EO_TOTAL" 180 6; then
    "$BIN/job-status.sh" --exceptions "$job" >&2 || true
    fail "only $(label_ids "$EO_RAW" | uniq | wc -l) of $EO_TOTAL frames committed after 180 s"
fi
stop_labels_consumer labels-eo
label_ids "$EO_RAW" >"$RUN_DIR/labels-eo.ids"
[[ "$("$BIN/job-status.sh" "$job")" == RUNNING ]] || fail "the exactly-once job is not RUNNING after the failover"
# Evidence of the failover, strongest first: the job's tasks now run on the replacement TaskManager
# (the killed one is gone, so the job was redeployed), and the failure is in the exception history.
# numRestarts is only reported: the REST metric store is refreshed lazily and has read 0 here
# while the tasks already ran on the new TaskManager.
ran_on="$(job_taskmanagers "$job")"
[[ "$ran_on" == "$(tm_id)" ]] || fail "after the kill the job runs on '${ran_on//$'\n'/ }', not on the new TaskManager $(tm_id)"
failures="$(rest_get "/jobs/$job/exceptions?maxExceptions=5" | { grep -o '"stacktrace":' || true; } | wc -l)"
((failures >= 1)) || fail "the job's exception history records no failure after the kill"
restarts="$(json_str value "$(rest_get "/jobs/$job/metrics?get=numRestarts")")"
log "the exactly-once job failed over to TaskManager $(tm_id): $failures failure(s) in its history, numRestarts ${restarts:-?}"
check_exactly_once "exactly-once after kill -9" "$RUN_DIR/frames-eo.ids" "$RUN_DIR/labels-eo.ids" \
    || fail "read_committed labels are not exactly once"
"$BIN/cancel.sh" "$job"

log "PASSED in $((SECONDS - START)) s"
