#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Starts, stops, kills or checks one Flink TaskManager (TaskManagerRunner) of a run directory whose
# configuration cluster-start.sh rendered. Several TaskManagers on one host are told apart by
# --index. Each start registers under a new resource id (RUN_DIR/flink/taskmanager-N.id), which
# is how the scripts see that a restarted TaskManager has joined.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

usage() {
    cat <<USAGE
usage: taskmanager.sh start|stop|kill|status [--index N] [--run-dir DIR] [--timeout SECONDS] [--no-wait]

  start    launch TaskManager N in the background and wait until the JobManager lists it
  stop     SIGTERM, SIGKILL after the timeout
  kill     SIGKILL at once (a crash, for failure tests)
  status   print pid and resource id; exit 1 when not running

  --index N          which TaskManager of this host (default 0)
  --run-dir DIR      run directory with flink/conf (default \$TOCOM_RUN_DIR or deploy/run)
  --timeout SECONDS  start: wait this long for registration; stop: for the process to end (default 60)
  --no-wait          start: do not wait for registration
Libtorch threads: OMP_NUM_THREADS and ai.djl.pytorch.num_threads are set from TORCH_THREADS in
RUN_DIR/flink/conf/launcher.env (cluster-start.sh --torch-threads).
Log: RUN_DIR/flink/log/taskmanager-N.log (and taskmanager-N.out).
USAGE
}

(($#)) || { usage >&2; exit 2; }
ACTION="$1"
shift
TIMEOUT=60 INDEX=0 WAIT=true
while (($#)); do
    case "$1" in
        --index) INDEX="$2"; shift 2 ;;
        --run-dir) RUN_DIR="$2"; shift 2 ;;
        --timeout) TIMEOUT="$2"; shift 2 ;;
        --no-wait) WAIT=false; shift ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
done
[[ "$INDEX" =~ ^[0-9]+$ ]] || die "--index must be a number, was $INDEX"
RUN_DIR="$(abspath "$RUN_DIR")"
FDIR="$RUN_DIR/flink"
CONF="$FDIR/conf"
NAME="taskmanager-$INDEX"
PIDFILE="$FDIR/$NAME.pid"
IDFILE="$FDIR/$NAME.id"

registered() { # RESOURCE_ID
    rest_get /taskmanagers 2>/dev/null | grep -cF "\"id\":\"$1\"" >/dev/null
}

case "$ACTION" in
    start)
        if pid="$(live_pid "$PIDFILE")"; then
            log "TaskManager $INDEX is already running (pid $pid, id $(cat "$IDFILE" 2>/dev/null))"
            exit 0
        fi
        [[ -f "$CONF/config.yaml" ]] || die "no $CONF/config.yaml; run cluster-start.sh (it renders one)"
        # shellcheck source=/dev/null # written by cluster-start.sh
        source "$CONF/launcher.env"
        need_lib_dir "$FLINK_LIB_DIR" "mvn -B -f deploy/flink-lib/pom.xml package"
        CP="$FLINK_LIB_DIR/*${EXTRA_CP:+:$EXTRA_CP}"
        mkdir -p "$FDIR/log" "$FDIR/tmp"
        # Flink plugins (e.g. flink-s3-fs-presto for s3:// checkpoints), one sub-directory each.
        export FLINK_PLUGINS_DIR="${FLINK_PLUGINS_DIR:-$FDIR/plugins}"
        mkdir -p "$FLINK_PLUGINS_DIR"
        mapfile -t RES < <("$JAVA" -cp "$CP" org.apache.flink.runtime.util.bash.BashJavaUtils \
            GET_TM_RESOURCE_PARAMS --configDir "$CONF" 2>>"$FDIR/log/$NAME.out" \
            | sed -n 's/^BASH_JAVA_UTILS_EXEC_RESULT://p')
        ((${#RES[@]} >= 2)) || die "BashJavaUtils could not size the TaskManager; see $FDIR/log/$NAME.out"
        # shellcheck disable=SC2206 # the JVM flags and -D pairs are meant to split on spaces
        JVM_MEM=(${RES[0]}) DYN_PROPS=(${RES[1]}) EXTRA=(${EXTRA_JAVA_OPTS:-})
        rid="$(hostname -s 2>/dev/null || echo host)-tm$INDEX-$(date +%s%N | cut -c1-13)"
        printf '%s\n' "$rid" >"$IDFILE"
        # One libtorch (OpenMP) pool per TaskManager JVM, shared by its slots: size it to the cores
        # this TaskManager may use, never more (oversubscription collapses throughput).
        export DJL_CACHE_DIR OMP_NUM_THREADS="$TORCH_THREADS" MKL_NUM_THREADS="$TORCH_THREADS"
        start_daemon "$PIDFILE" "$FDIR/log/$NAME.out" \
            "$JAVA" "${JVM_MEM[@]}" "${FLINK_J17_OPTS[@]}" \
            -Dai.djl.offline=true -Dai.djl.pytorch.num_threads="$TORCH_THREADS" \
            -Dai.djl.pytorch.num_interop_threads=1 "${EXTRA[@]}" \
            -Dlog.file="$FDIR/log/$NAME.log" -Dlog4j.configurationFile="$CONF/log4j.properties" \
            -cp "$CP" org.apache.flink.runtime.taskexecutor.TaskManagerRunner \
            --configDir "$CONF" "${DYN_PROPS[@]}" -D taskmanager.resource-id="$rid"
        pid="$(<"$PIDFILE")"
        log "TaskManager $INDEX starting (pid $pid, id $rid, $TORCH_THREADS libtorch threads)"
        $WAIT || exit 0
        up() {
            kill -0 "$pid" 2>/dev/null || {
                tail -30 "$FDIR/log/$NAME.out" "$FDIR/log/$NAME.log" >&2 2>/dev/null || true
                die "TaskManager $INDEX exited during start-up; see $FDIR/log/$NAME.log"
            }
            registered "$rid"
        }
        if ! wait_for "$TIMEOUT" "TaskManager $INDEX to register" up; then
            stop_daemon "$PIDFILE" "TaskManager $INDEX" 10
            die "TaskManager $INDEX did not register; see $FDIR/log/$NAME.log"
        fi
        log "TaskManager $INDEX registered with the JobManager"
        ;;
    stop)
        stop_daemon "$PIDFILE" "TaskManager $INDEX" "$TIMEOUT"
        ;;
    kill)
        if pid="$(live_pid "$PIDFILE")"; then
            log "killing TaskManager $INDEX (kill -9 $pid)"
            kill -9 "$pid"
            wait_for 10 "TaskManager $INDEX to die" eval '! kill -0 '"$pid"' 2>/dev/null'
            rm -f "$PIDFILE"
        else
            log "TaskManager $INDEX is not running"
        fi
        ;;
    status)
        if pid="$(live_pid "$PIDFILE")"; then
            rid="$(cat "$IDFILE" 2>/dev/null)"
            if registered "$rid"; then state=registered; else state="not registered"; fi
            echo "TaskManager $INDEX running, pid $pid, id $rid, $state"
        else
            echo "TaskManager $INDEX not running"
            exit 1
        fi
        ;;
    *) usage >&2; die "unknown action: $ACTION" ;;
esac
