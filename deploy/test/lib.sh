# shellcheck shell=bash disable=SC2034 # the variables are used by the scripts that source this
# Shared by the cluster tests in deploy/test; sourced after deploy/bin/common.sh, not run. It starts
# a broker and a standalone cluster from the deploy/bin scripts, stops them on exit, and holds the
# checks the tests make on topics, consumers and jobs.
#
# Before sourcing, set: JOB_JAR, RUN_DIR (absolute), KEEP (true|false), BUILD_JOB, BUILD_LIBS,
# STREAMS, PARTITIONS, CHECKPOINT_INTERVAL. Frames are identified by (stream id, frame-seq header);
# labels by their "stream" and "seq" fields.

BIN="$DEPLOY_DIR/bin"
JOB_MAIN=org.tocomstream.job.StreamJob
PRODUCER_PID=""
declare -A CONSUMER_PIDS=() # labels topic -> pid of its background consumer
declare -a BACKGROUND_PIDS=() # other helpers (samplers) stopped on exit
START=$SECONDS

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

# Kills a process and its descendants (the background producer is a subshell running java).
kill_tree() { # PID
    local child
    for child in $(cat /proc/"$1"/task/*/children 2>/dev/null || ps -o pid= --ppid "$1" 2>/dev/null); do
        kill_tree "$child"
    done
    kill "$1" 2>/dev/null || true
}

cleanup() {
    local rc=$? pid
    trap - EXIT INT TERM
    [[ -z "$PRODUCER_PID" ]] || kill_tree "$PRODUCER_PID"
    for pid in "${BACKGROUND_PIDS[@]}"; do
        kill_tree "$pid"
    done
    for t in "${!CONSUMER_PIDS[@]}"; do
        stop_labels_consumer "$t"
    done
    # A broker left frozen by a failed fault row would not stop.
    [[ ! -f "$RUN_DIR/kafka/kafka.pid" ]] || kill -CONT "$(<"$RUN_DIR/kafka/kafka.pid")" 2>/dev/null || true
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

# setup_cluster [KAFKA_START_ARGS...] -- [CLUSTER_START_ARGS...]: builds what is missing, empties
# RUN_DIR, starts a broker and a standalone cluster on free ports, and makes a model directory.
# Sets BOOTSTRAP, KAFKA_PORT, KAFKA_CONTROLLER_PORT, MODEL_DIR and exports FLINK_REST.
setup_cluster() {
    local kafka_args=() cluster_args=()
    while (($#)) && [[ "$1" != -- ]]; do kafka_args+=("$1"); shift; done
    (($#)) && shift
    cluster_args=("$@")
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
    KAFKA_START_ARGS=(--port "$KAFKA_PORT" --controller-port "$KAFKA_CONTROLLER_PORT" --partitions "$PARTITIONS"
        "${kafka_args[@]}")
    "$BIN/kafka-start.sh" "${KAFKA_START_ARGS[@]}"
    "$BIN/cluster-start.sh" --rest-port "$REST_PORT" --rpc-port "$RPC_PORT" "${cluster_args[@]}"

    MODEL_DIR="$RUN_DIR/model"
    log "making a model directory"
    make_model "$MODEL_DIR" >"$RUN_DIR/model.log" 2>&1 || { tail -20 "$RUN_DIR/model.log" >&2; fail "make_model"; }
    upload_job_jar
}

topic() { # NAME
    "$BIN/kafka-tool.sh" topics --bootstrap-server "$BOOTSTRAP" --create --if-not-exists \
        --topic "$1" --partitions "$PARTITIONS" --replication-factor 1 >/dev/null
}

# Creates several topics at once (one tool JVM each, in parallel).
topics() { # NAME...
    local name pids=() pid
    for name in "$@"; do
        topic "$name" &
        pids+=("$!")
    done
    for pid in "${pids[@]}"; do
        wait "$pid" || fail "creating topics $*"
    done
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

# submit FRAMES_TOPIC LABELS_TOPIC GROUP DELIVERY BOUNDED [MORE JOB ARGS...] -> job id on stdout.
# SUBMIT_OPTS (an array, default empty) goes to submit.sh before the jar (e.g. --from-savepoint P).
# The jar uploaded by upload_job_jar (JAR_ID) is used when there is one, else JOB_JAR is uploaded.
SUBMIT_OPTS=()
JAR_ID=""
submit() {
    local args jar=("$JOB_JAR")
    mapfile -t args < <(stream_job_args "${@:1:5}")
    [[ -z "$JAR_ID" ]] || jar=(--jar-id "$JAR_ID")
    "$BIN/submit.sh" "${SUBMIT_OPTS[@]}" "${jar[@]}" "$JOB_MAIN" "${args[@]}" "${@:6}"
}

# Uploads JOB_JAR once for the submissions that follow (not from a subshell: it sets JAR_ID). A
# restarted JobManager does not list the jars uploaded to the one before: upload again then.
upload_job_jar() {
    JAR_ID="$("$BIN/submit.sh" --upload-only "$JOB_JAR")" || fail "uploading $JOB_JAR"
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
