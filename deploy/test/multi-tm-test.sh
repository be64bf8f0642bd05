#!/usr/bin/env bash
# The multi-TaskManager test: the deploy/bin scripts start a Kafka broker and a standalone cluster
# of one JobManager and two TaskManagers of two slots each (separate JVMs on this host, each sized
# as a small TaskManager: --tm-memory 2560m, one libtorch thread), and the job runs with
# exactly-once delivery while 16 cameras keep sending frames:
#
#   1. at parallelism 4 (all four slots, both TaskManagers);
#   2. TaskManager 1 killed (kill -9) mid-stream and started again: the job fails over and goes on;
#   3. stopped with a savepoint (cancel.sh --savepoint) and resubmitted from it at parallelism 2;
#   4. stopped with a savepoint again and resubmitted from it at parallelism 4;
#
# then the producer stops, the job drains the tail, and the checks are:
#
#   - exactly once: the job jar's `audit` (read_committed) finds every frame of the frames topic
#     labelled once: 0 lost, 0 duplicated, 0 unknown, 0 dead-lettered;
#   - order per camera: labels are keyed by camera, so all labels of a camera are in one partition
#     of the labels topic, in the order the job committed them, and a read_committed consumer reads
#     a partition in offset order. In the consumer's output, each camera's `seq` must be strictly
#     increasing (with exactly once, that is 0, 1, 2, ... with no gap): the order held through the
#     kill (replay from a checkpoint) and both rescales (partitions moved between subtasks);
#   - one model per TaskManager JVM: in each TaskManager JVM's log (taskmanager-N.log and the
#     files rolled at each restart, taskmanager-N.log.K), the models loaded ("Loaded model") minus
#     those closed ("Closed model") never exceed 1, while several subtasks use it;
#   - memory: each TaskManager JVM's peak RSS (VmHWM, sampled every second) is reported against
#     the documented sizing (operations.md, Memory); the test fails only above the configured
#     process size (--tm-memory).
#
# The short form (default) holds each phase for a few seconds; --long holds each for a minute.
# The results go to RUN_DIR/multi-tm.md and .json. Needs what cluster-test.sh needs.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../bin/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../bin/common.sh"

usage() {
    cat <<USAGE
usage: deploy/test/multi-tm-test.sh [options]

options:
  --short            each phase a few seconds (default; about 3 minutes in all on 2 cores)
  --long             each phase a minute, a higher frame rate (about 8 minutes on 2 cores)
  --fps F            frames per second per camera (default 2; --long: 4)
  --tm-memory SIZE   each TaskManager's process size (default 2560m)
  --job-jar JAR      the job jar (default flink-job/target/tocom-stream.jar)
  --build-job        build the job jar first if it is missing (mvn -DskipTests package)
  --skip-lib-build   use deploy/flink-lib and deploy/kafka-lib target/lib as they are
  --run-dir DIR      where processes keep logs and data (default deploy/target/multi-tm-test;
                     emptied at the start)
  --keep             leave the broker and the cluster running at the end
  -h, --help
USAGE
}

JOB_JAR="$REPO_DIR/flink-job/target/tocom-stream.jar"
BUILD_JOB=false BUILD_LIBS=true KEEP=false LONG=false FPS="" TM_MEMORY=2560m
RUN_DIR="$DEPLOY_DIR/target/multi-tm-test"
while (($#)); do
    case "$1" in
        --short) LONG=false; shift ;;
        --long) LONG=true; shift ;;
        --fps) FPS="$2"; shift 2 ;;
        --tm-memory) TM_MEMORY="$2"; shift 2 ;;
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

# ---- The set-up ------------------------------------------------------------------------------------
STREAMS=16       # cameras
PARTITIONS=8     # of the frames and labels topics: every subtask reads some at parallelism 4 and 2
TASKMANAGERS=2
SLOTS=2          # per TaskManager
CHECKPOINT_INTERVAL=2s
if $LONG; then
    FPS="${FPS:-4}" LEAD_S=20 PHASE_S=60 FORM=long
else
    FPS="${FPS:-2}" LEAD_S=5 PHASE_S=8 FORM=short
fi
[[ "$FPS" =~ ^[0-9]+([.][0-9]+)?$ ]] || die "--fps must be a number, was $FPS"
[[ "$TM_MEMORY" =~ ^([0-9]+)m$ ]] || die "--tm-memory must be a size in MiB such as 2560m, was $TM_MEMORY"
TM_MEMORY_MB="${BASH_REMATCH[1]}"
GROUP=multi-tm
SAVEPOINT_DIR="file://$RUN_DIR/flink/savepoints"

# shellcheck source=lib.sh
source "$DEPLOY_DIR/test/lib.sh"
# shellcheck source=fault-rows.sh
source "$DEPLOY_DIR/test/fault-rows.sh" # now_ms, vm_hwm_kb, run_audit, job_restarts

tm_pid_of() { cat "$RUN_DIR/flink/taskmanager-$1.pid" 2>/dev/null; }
tm_id_of() { cat "$RUN_DIR/flink/taskmanager-$1.id" 2>/dev/null; }

# Samples every second each TaskManager's resident set and its peak (VmRSS, VmHWM, in KB) into
# RSS_FILE, one line "epoch_ms index pid rss_kb hwm_kb" per live TaskManager.
start_rss_sampler() { # RSS_FILE
    (while :; do
        for ((i = 0; i < TASKMANAGERS; i++)); do
            pid="$(tm_pid_of "$i")" || continue
            awk -v t="$(now_ms)" -v i="$i" -v p="$pid" '/^VmRSS:/ { r = $2 } /^VmHWM:/ { h = $2 }
                END { if (h) print t, i, p, r, h }' "/proc/$pid/status" 2>/dev/null || true
        done
        sleep 1
    done) >>"$1" 2>/dev/null &
    BACKGROUND_PIDS+=("$!")
}

# Waits until the consumer's RAW_FILE holds a label the job emitted after AT_MS (capture time plus
# age), i.e. new work committed; prints the seconds it took, to one decimal.
wait_new_labels() { # RAW_FILE AT_MS TIMEOUT_S
    local deadline=$((SECONDS + $3))
    until awk -v at="$2" 'match($0, /"captureTs":[0-9]+/) { c = substr($0, RSTART + 12, RLENGTH - 12)
              if (match($0, /"ageMs":[0-9]+/) && c + substr($0, RSTART + 8, RLENGTH - 8) > at) { f = 1; exit } }
              END { exit !f }' "$1"; do
        ((SECONDS < deadline)) || return 1
        sleep 0.5
    done
    awk -v at="$2" -v now="$(now_ms)" 'BEGIN { printf "%.1f\n", (now - at) / 1000 }'
}

# submit_at P [SAVEPOINT]: the job at parallelism P (the job's own --parallelism, which wins over
# the REST parallelism), from SAVEPOINT when given; sets JOB.
submit_at() {
    SUBMIT_OPTS=()
    [[ -z "${2:-}" ]] || SUBMIT_OPTS=(--from-savepoint "$2")
    JOB="$(submit frames labels "$GROUP" exactly-once false --parallelism "$1")" || fail "submit at parallelism $1"
    SUBMIT_OPTS=()
    log "job $JOB at parallelism $1 on TaskManager(s): $(job_taskmanagers "$JOB" | tr '\n' ' ')"
}

# Seconds from FROM_MS to TO_MS, to one decimal.
secs_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f\n", (b - a) / 1000 }'; }

# Waits until the job's subtasks run on N TaskManagers (the REST lists "(unassigned)" until a
# subtask has its slot).
wait_job_on() { # N
    wait_for 60 "job $JOB on $1 TaskManagers" \
        eval '(($(job_taskmanagers "$JOB" | grep -cvxF "(unassigned)") == '"$1"'))'
}

# rescale_to P: stop-with-savepoint, then the job from the savepoint at parallelism P; records
# the phase's numbers.
rescale_to() {
    local t0 sp at secs
    t0="$(now_ms)"
    sp="$("$BIN/cancel.sh" --savepoint "$SAVEPOINT_DIR" --timeout 120 "$JOB")" || fail "stop-with-savepoint of $JOB"
    "$BIN/job-status.sh" --wait FINISHED --timeout 60 "$JOB" >/dev/null \
        || fail "job $JOB is not FINISHED after stop-with-savepoint"
    at="$(now_ms)"
    submit_at "$1" "$sp"
    secs="$(wait_new_labels "$RAW" "$at" 180)" || fail "no new labels within 180 s of the resume at parallelism $1"
    log "rescaled to $1: stop-with-savepoint took $(secs_between "$t0" "$at") s ($sp); new labels ${secs} s after the resume"
    PHASES+=("stop-with-savepoint, resume at parallelism $1|$(secs_between "$t0" "$at")|$secs")
}

setup_cluster --message-max-bytes 10485760 -- --taskmanagers "$TASKMANAGERS" --slots "$SLOTS" \
    --tm-memory "$TM_MEMORY" --heartbeat 1000:6000 --torch-threads 1
declare -a PHASES=() # "name|seconds of the stop-with-savepoint or -|seconds until new labels"
TM_NATIVE_MB="$(sed -n 's/^taskmanager\.memory\.jvm-overhead\.max:[[:space:]]*\([0-9]*\)m.*/\1/p' "$RUN_DIR/flink/conf/config.yaml")"

log "=== $FORM form: $STREAMS cameras x $FPS fps, $TASKMANAGERS TaskManagers x $SLOTS slots, exactly-once"
topics frames labels labels-dead-letter
RAW="$RUN_DIR/labels.raw"
start_labels_consumer labels "$RAW"
start_rss_sampler "$RUN_DIR/rss.tsv"

# ---- 1. Parallelism 4 over both TaskManagers -----------------------------------------------------------
submit_at 4
wait_job_on "$TASKMANAGERS" || fail "the job at parallelism 4 does not run on both TaskManagers"
# Far more frames than the phases need; the producer is stopped after the last phase.
produce_frames frames cam- 100000 "$FPS" >"$RUN_DIR/produce.log" 2>&1 &
PRODUCER_PID=$!
wait_labels "$RAW" 1 180 "$LEAD_S" || fail "no committed labels within 180 s"
kill -0 "$PRODUCER_PID" 2>/dev/null || { tail -20 "$RUN_DIR/produce.log" >&2; fail "the producer ended"; }
log "parallelism 4: $(wc -l <"$RAW") labels committed"

# ---- 2. TaskManager 1 killed mid-stream ------------------------------------------------------------
old_tm="$(tm_id_of 1)"
kill_ms="$(now_ms)"
"$BIN/tm-kill.sh" --index 1 --run-dir "$RUN_DIR" --timeout 120 || fail "TaskManager 1 did not come back"
secs="$(wait_new_labels "$RAW" "$kill_ms" 180)" || fail "no new labels within 180 s of the TaskManager kill"
[[ "$("$BIN/job-status.sh" "$JOB")" == RUNNING ]] || fail "the job is not RUNNING after the TaskManager kill"
job_taskmanagers "$JOB" | grep -qxF "$(tm_id_of 1)" || fail "the job does not run on the new TaskManager 1"
! job_taskmanagers "$JOB" | grep -qxF "$old_tm" || fail "the job still lists the killed TaskManager $old_tm"
restarts="$(job_restarts "$JOB")"
log "TaskManager 1 killed: new labels ${secs} s after the kill; the job restarted $restarts time(s)"
PHASES+=("kill -9 TaskManager 1 (restarts: $restarts)|-|$secs")
sleep "$PHASE_S"

# ---- 3. and 4. Rescale to 2, then back to 4 ----------------------------------------------------------
rescale_to 2
sleep "$PHASE_S"
rescale_to 4
sleep "$PHASE_S"

# ---- The checks ------------------------------------------------------------------------------------
kill_tree "$PRODUCER_PID"
wait "$PRODUCER_PID" 2>/dev/null || true
PRODUCER_PID=""
log "producer stopped; auditing"
run_audit multi-tm frames labels 300
"$BIN/cancel.sh" "$JOB" >/dev/null
wait_labels "$RAW" "$AUDIT_labelled" 60 2 || log "note: the consumer saw fewer labels than the audit"
stop_labels_consumer labels

# Order per camera in the read_committed consumer's output (= the labels partition's order).
read -r ORDER_VIOLATIONS CAMERAS < <(awk '
    match($0, /"stream":"[^"]*"/) { s = substr($0, RSTART + 10, RLENGTH - 11)
        if (!match($0, /"seq":[0-9]+/)) next
        q = substr($0, RSTART + 6, RLENGTH - 6) + 0
        if ((s in last) && q <= last[s]) { v++; if (v <= 10) printf "order: %s seq %d after %d\n", s, q, last[s] > "/dev/stderr" }
        if (!(s in last)) n++
        last[s] = q }
    END { print v + 0, n + 0 }' "$RAW")
log "order per camera: $CAMERAS cameras, $ORDER_VIOLATIONS violation(s)"

# Models per TaskManager JVM: one log file per JVM (the appender rolls the old file at start-up).
MODEL_ROWS=()
MAX_LOADED=0 MIN_LOADED=99
for f in "$RUN_DIR"/flink/log/taskmanager-*.log "$RUN_DIR"/flink/log/taskmanager-*.log.[0-9]*; do
    [[ -f "$f" ]] || continue
    read -r loads closes uses peak < <(awk '
        / Loaded model / { l++; open++; if (open > peak) peak = open }
        / Closed model / { c++; open-- }
        / Subtask [0-9]+ uses model / { u++ }
        END { print l + 0, c + 0, u + 0, peak + 0 }' "$f")
    MODEL_ROWS+=("$(basename "$f")|$loads|$closes|$uses|$peak")
    ((peak > MAX_LOADED)) && MAX_LOADED=$peak
    ((peak < MIN_LOADED)) && MIN_LOADED=$peak
    log "$(basename "$f"): $loads model load(s), $closes close(s), $uses subtask lease(s), at most $peak loaded at once"
done

# Peak RSS per TaskManager JVM.
RSS_ROWS=()
RSS_MAX_MB=0
while read -r idx pid peak_kb last_kb n; do
    RSS_ROWS+=("$idx|$pid|$((peak_kb / 1024))|$((last_kb / 1024))|$n")
    ((peak_kb / 1024 > RSS_MAX_MB)) && RSS_MAX_MB=$((peak_kb / 1024))
    log "TaskManager $idx (pid $pid): peak RSS $((peak_kb / 1024)) MB, last $((last_kb / 1024)) MB ($n samples)"
done < <(awk '{ k = $2 " " $3; if ($5 > h[k]) h[k] = $5; r[k] = $4; n[k]++ }
    END { for (k in h) print k, h[k], r[k], n[k] }' "$RUN_DIR/rss.tsv" | sort -n)
HEAP_MB="$(for ((i = 0; i < TASKMANAGERS; i++)); do tr '\0' '\n' <"/proc/$(tm_pid_of "$i")/cmdline"; done 2>/dev/null \
    | sed -n 's/^-Xmx\([0-9]*\)$/\1/p' | awk '{ printf "%d\n", $1 / 1048576 }' | sed -n 1p)"
DURATION=$((SECONDS - START))

# The report.
{
    printf 'Multi-TaskManager test (%s form), %s, %s cores; %d TaskManagers x %d slots, %s each (-Xmx %s MB, JVM overhead for libtorch %s MB), %d cameras x %s fps, checkpoints every %s, exactly-once.\n\n' \
        "$FORM" "$(date -u +%Y-%m-%d)" "$(nproc)" "$TASKMANAGERS" "$SLOTS" "$TM_MEMORY" "${HEAP_MB:-?}" \
        "${TM_NATIVE_MB:-?}" "$STREAMS" "$FPS" "$CHECKPOINT_INTERVAL"
    printf '| frames | labelled | dead-lettered | lost | duplicated | unknown | order violations | cameras | duration (s) |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n'
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n\n' "$AUDIT_sent" "$AUDIT_labelled" \
        "$AUDIT_dead_lettered" "$AUDIT_lost" "$AUDIT_duplicated" "$AUDIT_unknown" "$ORDER_VIOLATIONS" \
        "$CAMERAS" "$DURATION"
    printf '| phase | stop-with-savepoint (s) | new labels after (s) |\n|---|---:|---:|\n'
    for row in "${PHASES[@]}"; do
        IFS='|' read -r name sp secs <<<"$row"
        printf '| %s | %s | %s |\n' "$name" "$sp" "$secs"
    done
    printf '\n| TaskManager log (one JVM) | model loads | closes | subtask leases | most loaded at once |\n|---|---:|---:|---:|---:|\n'
    for row in "${MODEL_ROWS[@]}"; do printf '| %s |\n' "${row//|/ | }"; done
    printf '\n| TaskManager | pid | peak RSS (MB) | last RSS (MB) | samples |\n|---:|---:|---:|---:|---:|\n'
    for row in "${RSS_ROWS[@]}"; do printf '| %s |\n' "${row//|/ | }"; done
} >"$RUN_DIR/multi-tm.md"
cat "$RUN_DIR/multi-tm.md" >&2
printf '{"form":"%s","cameras":%d,"fps":%s,"taskmanagers":%d,"slots":%d,"tm_memory_mb":%d,"frames":%s,"labelled":%s,"dead_lettered":%s,"lost":%s,"duplicated":%s,"unknown":%s,"order_violations":%s,"max_models_loaded_per_jvm":%d,"peak_rss_mb":%d,"duration_s":%d}\n' \
    "$FORM" "$STREAMS" "$FPS" "$TASKMANAGERS" "$SLOTS" "$TM_MEMORY_MB" "$AUDIT_sent" "$AUDIT_labelled" \
    "$AUDIT_dead_lettered" "$AUDIT_lost" "$AUDIT_duplicated" "$AUDIT_unknown" "$ORDER_VIOLATIONS" \
    "$MAX_LOADED" "$RSS_MAX_MB" "$DURATION" >"$RUN_DIR/multi-tm.json"

((AUDIT_lost == 0 && AUDIT_duplicated == 0 && AUDIT_unknown == 0)) \
    || fail "not exactly once: $AUDIT_lost lost, $AUDIT_duplicated duplicated, $AUDIT_unknown unknown"
((AUDIT_dead_lettered == 0 && AUDIT_sent == AUDIT_labelled)) \
    || fail "expected all $AUDIT_sent frames labelled, $AUDIT_labelled labels, $AUDIT_dead_lettered dead letters"
((AUDIT_sent > 0)) || fail "no frames sent"
((CAMERAS == STREAMS)) || fail "labels of $CAMERAS cameras, expected $STREAMS"
((ORDER_VIOLATIONS == 0)) || fail "$ORDER_VIOLATIONS label(s) out of order within their camera"
((${#MODEL_ROWS[@]} >= TASKMANAGERS + 1)) || fail "expected a log per TaskManager JVM (3 JVMs: two, one restarted)"
((MAX_LOADED == 1 && MIN_LOADED == 1)) \
    || fail "each TaskManager JVM should have had one model loaded (at most $MAX_LOADED at once, at least $MIN_LOADED)"
((RSS_MAX_MB > 0)) || fail "no RSS samples"
((RSS_MAX_MB <= TM_MEMORY_MB)) || fail "a TaskManager's peak RSS $RSS_MAX_MB MB is above its process size $TM_MEMORY_MB MB"
log "PASSED in $DURATION s; results in $RUN_DIR/multi-tm.md and .json"
