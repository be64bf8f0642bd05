# shellcheck shell=bash disable=SC2034 # the variables are used by the scripts that source this
# The fault matrix's rows; sourced after lib.sh, not run. Each row runs the job with exactly-once
# delivery on its own topics, injects one fault mid-stream (or, for the hostile row, feeds it hostile
# records), then audits the answers with the job jar's `audit` command (read_committed) and appends
# one result line to ROWS_TSV. cluster-test.sh runs the short form, fault-matrix.sh the long one.
#
# Set before sourcing: FAULT_FRAMES_PER_STREAM and FAULT_FPS (the stream each fault row sends),
# FAULT_LEAD_S (seconds of committed labels before the fault), BROKER_DOWN_S, BROKER_FREEZE_S,
# HOSTILE_RECORDS, ROWS_TSV (the results file) and KAFKA_START_ARGS (from setup_cluster).

ROW_NAMES=(tm-kill broker-kill broker-freeze jm-kill hostile)
DECODE_BUDGET_MB=64 # vit.decode.max-decoded-bytes, the job's default
ROW_COLUMNS=(row sent labelled dead_lettered lost duplicated unknown wrong restarts down_s recovery_s
    heap_peak_mb heap_live_mb heap_max_mb rss_peak_mb)

now_ms() { date +%s%3N; }

# Peak resident set of a process in KB (VmHWM), 0 when it is gone.
vm_hwm_kb() { # PID
    awk '/^VmHWM:/ { print $2; found = 1 } END { if (!found) print 0 }' "/proc/$1/status" 2>/dev/null || echo 0
}

# Resets the TaskManager's peak-RSS mark (Linux: writing 5 to clear_refs) and notes it for the row.
reset_tm_peaks() {
    local pid
    pid="$(tm_pid)"
    echo 5 >"/proc/$pid/clear_refs" 2>/dev/null || log "note: cannot reset the peak RSS of pid $pid"
    ROW_TM_PIDS=("$pid")
    ROW_RSS_PEAK_KB=0
}

# Folds the current TaskManager's peak RSS into the row's (call before it is killed and at the end).
note_tm_rss() {
    local pid kb
    pid="$(tm_pid)"
    kb="$(vm_hwm_kb "$pid")"
    ((kb > ROW_RSS_PEAK_KB)) && ROW_RSS_PEAK_KB=$kb
    [[ " ${ROW_TM_PIDS[*]} " == *" $pid "* ]] || ROW_TM_PIDS+=("$pid")
}

# "PEAK LIVE" heap in MB of the row's TaskManagers from their GC logs (RUN_DIR/flink/log/gc-PID.log,
# decorated with epoch milliseconds), over the collections between FROM_MS and now: PEAK is the
# largest heap occupancy just before a collection (garbage included), LIVE the largest just after.
tm_heap_mb() { # FROM_MS
    local files=() pid
    for pid in "${ROW_TM_PIDS[@]}"; do
        [[ -f "$RUN_DIR/flink/log/gc-$pid.log" ]] && files+=("$RUN_DIR/flink/log/gc-$pid.log")
    done
    ((${#files[@]})) || { echo "- -"; return; }
    awk -v from="$1" '
        function mb(v, u) { return u == "G" ? v * 1024 : u == "K" ? v / 1024 : v }
        match($0, /^\[[0-9]+ms\]/) && substr($0, 2, RLENGTH - 4) + 0 >= from \
            && match($0, /[0-9]+[KMG]->[0-9]+[KMG]\(/) {
            s = substr($0, RSTART, RLENGTH - 1); split(s, p, "->")
            b = mb(p[1] + 0, substr(p[1], length(p[1]))); a = mb(p[2] + 0, substr(p[2], length(p[2])))
            if (b > peak) peak = b; if (a > live) live = a; n++ }
        END { if (n) printf "%d %d\n", peak, live; else print "- -" }' "${files[@]}"
}

tm_heap_max_mb() {
    tr '\0' '\n' <"/proc/$(tm_pid)/cmdline" 2>/dev/null | sed -n 's/^-Xmx\([0-9]*\)$/\1/p' \
        | awk '{ printf "%d\n", $1 / 1048576 }' | sed -n 1p
}

# Samples the line count of a consumer's RAW_FILE every 0.2 s ("epoch_ms count" lines in TIMELINE).
start_timeline() { # RAW_FILE TIMELINE
    (while :; do
        printf '%s %s\n' "$(now_ms)" "$(wc -l <"$1")"
        sleep 0.2
    done) >"$2" 2>/dev/null &
    ROW_TIMELINE_PID=$!
    BACKGROUND_PIDS+=("$!")
}

# Seconds from AT_MS until the consumer first saw a label the job emitted after AT_MS (capture time
# plus age), to one decimal; "-" if none. Labels committed before the fault but fetched after it
# do not count, so this is the time until new work is committed again.
seconds_until_new_labels() { # RAW_FILE TIMELINE AT_MS
    awk -v at="$3" '
        FNR == NR { if (match($0, /"captureTs":[0-9]+/)) c = substr($0, RSTART + 12, RLENGTH - 12)
                    if (match($0, /"ageMs":[0-9]+/)) a = substr($0, RSTART + 8, RLENGTH - 8)
                    if (!first && c + a > at) first = FNR; next }
        first && $2 >= first { printf "%.1f\n", ($1 - at) / 1000; done = 1; exit }
        END { if (!done) print "-" }' "$1" "$2"
}

# The job's numRestarts. The REST metric store refreshes on request and answers with what it had,
# so it is asked twice, a fetch interval apart.
job_restarts() { # JOBID
    local v
    rest_get "/jobs/$1/metrics?get=numRestarts" >/dev/null 2>&1 || true
    sleep 2.5
    v="$(json_str value "$({ rest_get "/jobs/$1/metrics?get=numRestarts" || true; })")"
    printf '%s\n' "${v:-?}"
}

# Failures in the job's exception history (each failover records one or more).
job_failures() { # JOBID
    { rest_get "/jobs/$1/exceptions?maxExceptions=50" || true; } | { grep -o '"exceptionName"' || true; } | wc -l
}

# run_audit NAME FRAMES LABELS TIMEOUT_S: the job jar's audit of a row; sets AUDIT_<FIELD> from its
# summary line ("audit: sent=N labelled=N ...") and keeps its output in RUN_DIR/NAME.audit.
run_audit() {
    local out="$RUN_DIR/$1.audit" line kv
    java -jar "$JOB_JAR" audit --bootstrap "$BOOTSTRAP" --frames-topic "$2" --labels-topic "$3" \
        --dead-letter-topic "$3-dead-letter" --timeout "$4" --settle 6 --json "$RUN_DIR/$1.audit.json" \
        >"$out" 2>&1 || true
    line="$(grep '^audit: ' "$out" | tail -1)"
    [[ -n "$line" ]] || { tail -20 "$out" >&2; fail "$1: the audit printed no summary"; }
    log "$1: $line"
    for kv in ${line#audit: }; do
        kv="${kv//-/_}"
        printf -v "AUDIT_${kv%%=*}" '%s' "${kv#*=}"
    done
}

# Appends the row's results (tab-separated, ROW_COLUMNS order) to ROWS_TSV.
record_row() { # NAME RESTARTS DOWN_S RECOVERY_S FROM_MS
    note_tm_rss
    read -r ROW_HEAP_PEAK ROW_HEAP_LIVE < <(tm_heap_mb "$5")
    printf '%s\t' "$1" "$AUDIT_sent" "$AUDIT_labelled" "$AUDIT_dead_lettered" "$AUDIT_lost" \
        "$AUDIT_duplicated" "$AUDIT_unknown" "${AUDIT_wrong:-0}" "$2" "$3" "$4" \
        "$ROW_HEAP_PEAK" "$ROW_HEAP_LIVE" "$(tm_heap_max_mb)" >>"$ROWS_TSV"
    printf '%d\n' $((ROW_RSS_PEAK_KB / 1024)) >>"$ROWS_TSV"
}

# The faults. Each sets FAULT_START_MS, when the fault begins, and FAULT_END_MS, when it is over
# (the process restarted or resumed); for the kills that is the moment of the kill, and what follows
# is recovery.
inject_tm_kill() {
    local pid
    note_tm_rss
    pid="$(tm_pid)"
    log "tm-kill: kill -9 $pid"
    # Here rather than with taskmanager.sh kill, whose start-up would blur the moment of the kill.
    FAULT_START_MS="$(now_ms)"
    kill -9 "$pid"
    FAULT_END_MS="$(now_ms)"
    wait_for 10 "the TaskManager to die" eval '! kill -0 '"$pid"' 2>/dev/null'
    "$BIN/taskmanager.sh" start --run-dir "$RUN_DIR" --timeout 90 || fail "tm-kill: no new TaskManager"
}

inject_broker_kill() {
    local pid
    pid="$(<"$RUN_DIR/kafka/kafka.pid")"
    log "broker-kill: kill -9 $pid, restart after ${BROKER_DOWN_S} s"
    FAULT_START_MS="$(now_ms)"
    kill -9 "$pid"
    wait_for 10 "the broker to die" eval '! kill -0 '"$pid"' 2>/dev/null'
    sleep "$BROKER_DOWN_S"
    "$BIN/kafka-start.sh" "${KAFKA_START_ARGS[@]}" --timeout 120 || fail "broker-kill: the broker did not restart"
    FAULT_END_MS="$(now_ms)"
}

inject_broker_freeze() {
    local pid
    pid="$(<"$RUN_DIR/kafka/kafka.pid")"
    log "broker-freeze: SIGSTOP $pid for ${BROKER_FREEZE_S} s"
    FAULT_START_MS="$(now_ms)"
    kill -STOP "$pid"
    sleep "$BROKER_FREEZE_S"
    kill -CONT "$pid"
    FAULT_END_MS="$(now_ms)"
}

# The JobManager crashes; the operator's procedure (operations.md, "JobManager lost") brings it
# back and resumes the job from its latest retained checkpoint with the same arguments.
inject_jm_kill() {
    local pid chk
    pid="$(live_pid "$RUN_DIR/flink/jobmanager.pid")" || fail "jm-kill: no JobManager running"
    log "jm-kill: kill -9 $pid"
    FAULT_START_MS="$(now_ms)"
    kill -9 "$pid"
    FAULT_END_MS="$(now_ms)"
    wait_for 10 "the JobManager to die" eval '! kill -0 '"$pid"' 2>/dev/null'
    "$BIN/jobmanager.sh" start --run-dir "$RUN_DIR" || fail "jm-kill: the JobManager did not restart"
    wait_for 90 "the TaskManager to register with the new JobManager" \
        eval 'rest_get /taskmanagers 2>/dev/null | grep -cF "\"id\":\"$(tm_id)\"" >/dev/null' || fail "jm-kill: no TaskManager"
    chk="$("$BIN/latest-checkpoint.sh" --run-dir "$RUN_DIR" "$ROW_JOB")" || fail "jm-kill: no retained checkpoint"
    upload_job_jar # the new JobManager does not list the jars uploaded to the old one
    log "jm-kill: resuming from $chk"
    SUBMIT_OPTS=(--from-savepoint "$chk")
    ROW_JOB="$(submit "$ROW_FRAMES" "$ROW_LABELS" "$ROW_NAME" exactly-once false)" || fail "jm-kill: resume failed"
    SUBMIT_OPTS=()
    ROW_RESUMED=true
}

# fault_row NAME INJECT: the job on fresh topics, frames at FAULT_FPS per stream, the fault after
# FAULT_LEAD_S seconds of committed labels, then the audit: every frame labelled once.
fault_row() {
    local name="$1" inject="$2" raw timeline t0 down recovery restarts failures
    log "=== fault row $name"
    ROW_NAME="$name" ROW_FRAMES="frames-$name" ROW_LABELS="labels-$name" ROW_RESUMED=false
    topics "$ROW_FRAMES" "$ROW_LABELS" "$ROW_LABELS-dead-letter"
    raw="$RUN_DIR/$ROW_LABELS.raw" timeline="$RUN_DIR/$name.timeline"
    start_labels_consumer "$ROW_LABELS" "$raw"
    start_timeline "$raw" "$timeline"
    reset_tm_peaks
    t0="$(now_ms)"
    ROW_JOB="$(submit "$ROW_FRAMES" "$ROW_LABELS" "$name" exactly-once false)" || fail "$name: submit"
    produce_frames "$ROW_FRAMES" "$name-cam-" "$FAULT_FRAMES_PER_STREAM" "$FAULT_FPS" \
        >"$RUN_DIR/produce-$name.log" 2>&1 &
    PRODUCER_PID=$!
    wait_labels "$raw" 1 120 "$FAULT_LEAD_S" || fail "$name: no committed labels within 120 s"
    kill -0 "$PRODUCER_PID" 2>/dev/null || fail "$name: the producer already ended: the fault would not be mid-stream"
    log "$name: $(wc -l <"$raw") labels committed; injecting the fault"
    "$inject"
    wait "$PRODUCER_PID" || { tail -20 "$RUN_DIR/produce-$name.log" >&2; fail "$name: the producer failed"; }
    PRODUCER_PID=""
    run_audit "$name" "$ROW_FRAMES" "$ROW_LABELS" 240
    stop_labels_consumer "$ROW_LABELS"
    kill_tree "$ROW_TIMELINE_PID"
    down="$(seconds_until_new_labels "$raw" "$timeline" "$FAULT_START_MS")"
    recovery="$(seconds_until_new_labels "$raw" "$timeline" "$FAULT_END_MS")"
    restarts="$(job_restarts "$ROW_JOB")"
    failures="$(job_failures "$ROW_JOB")"
    $ROW_RESUMED && restarts="$restarts+resume"
    [[ "$("$BIN/job-status.sh" "$ROW_JOB")" == RUNNING ]] || fail "$name: the job is not RUNNING after the fault"
    if [[ "$name" == tm-kill ]]; then
        # Evidence of the failover: the job's tasks run on the replacement TaskManager.
        [[ "$(job_taskmanagers "$ROW_JOB")" == "$(tm_id)" ]] || fail "tm-kill: the job does not run on the new TaskManager"
    fi
    "$BIN/cancel.sh" "$ROW_JOB" >/dev/null
    record_row "$name" "$restarts" "$down" "$recovery" "$t0"
    log "$name: restarts $restarts ($failures failure(s) in the exception history), labels again" \
        "${down} s after the fault began, ${recovery} s after it ended"
    ((AUDIT_lost == 0 && AUDIT_duplicated == 0 && AUDIT_unknown == 0)) \
        || fail "$name: not exactly once: $AUDIT_lost lost, $AUDIT_duplicated duplicated, $AUDIT_unknown unknown"
    ((AUDIT_sent == STREAMS * FAULT_FRAMES_PER_STREAM && AUDIT_dead_lettered == 0)) \
        || fail "$name: expected $((STREAMS * FAULT_FRAMES_PER_STREAM)) frames all labelled"
}

# The hostile row: HOSTILE_RECORDS seeded hostile records (produce --hostile), no fault. Every record
# answered once as its kind expects, no failure, no OutOfMemoryError, and the live heap no larger
# than under ordinary frames plus one decode budget per slot (the sizing rule in operations.md).
hostile_row() {
    local name=hostile t0 failures restarts baseline
    log "=== hostile row: $HOSTILE_RECORDS records"
    topics frames-hostile labels-hostile labels-hostile-dead-letter
    reset_tm_peaks
    t0="$(now_ms)"
    ROW_JOB="$(submit frames-hostile labels-hostile hostile exactly-once false)" || fail "hostile: submit"
    java -jar "$JOB_JAR" produce --bootstrap "$BOOTSTRAP" --topic frames-hostile --hostile \
        --count "$HOSTILE_RECORDS" >"$RUN_DIR/produce-hostile.log" 2>&1 \
        || { tail -20 "$RUN_DIR/produce-hostile.log" >&2; fail "hostile: the producer failed"; }
    run_audit "$name" frames-hostile labels-hostile $((120 + HOSTILE_RECORDS / 10))
    restarts="$(job_restarts "$ROW_JOB")"
    failures="$(job_failures "$ROW_JOB")"
    "$BIN/cancel.sh" "$ROW_JOB" >/dev/null
    record_row "$name" "$restarts" - - "$t0"
    ((AUDIT_lost == 0 && AUDIT_duplicated == 0 && AUDIT_unknown == 0 && ${AUDIT_wrong:-0} == 0)) \
        || fail "hostile: not every record answered once as expected (see $RUN_DIR/hostile.audit)"
    ((AUDIT_sent == HOSTILE_RECORDS)) || fail "hostile: the audit saw $AUDIT_sent records, sent $HOSTILE_RECORDS"
    ((failures == 0)) || fail "hostile: the job failed $failures time(s); $("$BIN/job-status.sh" --exceptions "$ROW_JOB")"
    ! grep -l 'OutOfMemoryError' "$RUN_DIR"/flink/log/taskmanager-*.{log,out} 2>/dev/null \
        || fail "hostile: OutOfMemoryError in the TaskManager's log"
    baseline="$(awk -F'\t' '$1 != "hostile" && $13 ~ /^[0-9]+$/ { if ($13 > m) m = $13 } END { print m + 0 }' "$ROWS_TSV")"
    if ((baseline > 0)) && [[ "$ROW_HEAP_LIVE" =~ ^[0-9]+$ ]]; then
        local bound=$((baseline + SLOTS * DECODE_BUDGET_MB))
        log "hostile: live heap peak $ROW_HEAP_LIVE MB; bound $bound MB (ordinary frames $baseline MB + $SLOTS slots x $DECODE_BUDGET_MB MB)"
        ((ROW_HEAP_LIVE <= bound)) || fail "hostile: live heap $ROW_HEAP_LIVE MB above the bound $bound MB"
    fi
}

# Runs the rows named in ROWS (space-separated, ROW_NAMES order).
run_rows() {
    local row
    for row in "${ROW_NAMES[@]}"; do
        [[ " $ROWS " == *" $row "* ]] || continue
        case "$row" in
            hostile) hostile_row ;;
            *) fault_row "$row" "inject_${row//-/_}" ;;
        esac
    done
}

# The table of ROWS_TSV in Markdown on stdout.
rows_table() {
    printf '| fault | frames sent | labelled | dead-lettered | lost | duplicated | restarts | labels again after fault start (s) | recovery after fault end (s) | TM heap peak / live / max (MB) | TM peak RSS (MB) |\n'
    printf '|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|\n'
    awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s / %s | %s |\n",
        $1, $2, $3, $4, $5, $6, $9, $10, $11, $12, $13, $14, $15 }' "$ROWS_TSV"
}

# The rows of ROWS_TSV as a JSON array on stdout (numbers where they are numbers).
rows_json() {
    awk -F'\t' -v cols="${ROW_COLUMNS[*]}" '
        BEGIN { n = split(cols, c, " "); printf "[" }
        { printf "%s\n  {", (NR > 1 ? "," : "")
          for (i = 1; i <= n; i++) {
              v = $i; q = (v ~ /^-?[0-9]+(\.[0-9]+)?$/) ? v : "\"" v "\""
              printf "%s\"%s\": %s", (i > 1 ? ", " : ""), c[i], q } printf "}" }
        END { print "\n]" }' "$ROWS_TSV"
}
