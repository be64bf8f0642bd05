#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Starts, stops or checks the Flink JobManager (StandaloneSessionClusterEntrypoint) of a run
# directory whose configuration cluster-start.sh rendered (RUN_DIR/flink/conf). On a one-host
# cluster use cluster-start.sh; on a real cluster run this on the JobManager host and
# taskmanager.sh on each TaskManager host, each with a run directory configured for that host.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

usage() {
    cat <<USAGE
usage: jobmanager.sh start|stop|status [--run-dir DIR] [--timeout SECONDS]

  start    launch the JobManager in the background and wait until its REST API answers
  stop     SIGTERM (jobs are suspended, not cancelled), SIGKILL after the timeout
  status   print the pid and REST address; exit 1 when not running

  --run-dir DIR      run directory with flink/conf/config.yaml (default \$TOCOM_RUN_DIR or deploy/run)
  --timeout SECONDS  start: wait this long for REST; stop: for the process to end (default 60)
Log: RUN_DIR/flink/log/jobmanager.log (and jobmanager.out for stdout/stderr).
USAGE
}

(($#)) || { usage >&2; exit 2; }
ACTION="$1"
shift
TIMEOUT=60
while (($#)); do
    case "$1" in
        --run-dir) RUN_DIR="$2"; shift 2 ;;
        --timeout) TIMEOUT="$2"; shift 2 ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
done
RUN_DIR="$(abspath "$RUN_DIR")"
FDIR="$RUN_DIR/flink"
CONF="$FDIR/conf"
PIDFILE="$FDIR/jobmanager.pid"

case "$ACTION" in
    start)
        if pid="$(live_pid "$PIDFILE")"; then
            log "JobManager is already running (pid $pid, REST $(flink_rest))"
            exit 0
        fi
        [[ -f "$CONF/config.yaml" ]] || die "no $CONF/config.yaml; run cluster-start.sh (it renders one)"
        # shellcheck source=/dev/null # written by cluster-start.sh
        source "$CONF/launcher.env"
        need_lib_dir "$FLINK_LIB_DIR" "mvn -B -f deploy/flink-lib/pom.xml package"
        CP="$FLINK_LIB_DIR/*${EXTRA_CP:+:$EXTRA_CP}"
        mkdir -p "$FDIR/log" "$FDIR/tmp" "$FDIR/upload"
        # Flink plugins (e.g. flink-s3-fs-presto for s3:// checkpoints), one sub-directory each.
        export FLINK_PLUGINS_DIR="${FLINK_PLUGINS_DIR:-$FDIR/plugins}"
        mkdir -p "$FLINK_PLUGINS_DIR"
        # Memory as the distribution's scripts compute it: JVM flags and dynamic properties.
        mapfile -t RES < <("$JAVA" -cp "$CP" org.apache.flink.runtime.util.bash.BashJavaUtils \
            GET_JM_RESOURCE_PARAMS --configDir "$CONF" 2>>"$FDIR/log/jobmanager.out" \
            | sed -n 's/^BASH_JAVA_UTILS_EXEC_RESULT://p')
        ((${#RES[@]} >= 2)) || die "BashJavaUtils could not size the JobManager; see $FDIR/log/jobmanager.out"
        # shellcheck disable=SC2206 # the JVM flags and -D pairs are meant to split on spaces
        JVM_MEM=(${RES[0]}) DYN_PROPS=(${RES[1]}) EXTRA=(${EXTRA_JAVA_OPTS:-})
        export DJL_CACHE_DIR
        start_daemon "$PIDFILE" "$FDIR/log/jobmanager.out" \
            "$JAVA" "${JVM_MEM[@]}" "${FLINK_J17_OPTS[@]}" \
            -Dai.djl.offline=true "${EXTRA[@]}" \
            -Dlog.file="$FDIR/log/jobmanager.log" -Dlog4j.configurationFile="$CONF/log4j.properties" \
            -cp "$CP" org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint \
            --configDir "$CONF" "${DYN_PROPS[@]}"
        pid="$(<"$PIDFILE")"
        log "JobManager starting (pid $pid), REST $(flink_rest)"
        up() {
            kill -0 "$pid" 2>/dev/null || {
                tail -30 "$FDIR/log/jobmanager.out" "$FDIR/log/jobmanager.log" >&2 2>/dev/null || true
                die "the JobManager exited during start-up; see $FDIR/log/jobmanager.log"
            }
            rest_get /overview >/dev/null 2>&1
        }
        if ! wait_for "$TIMEOUT" "the JobManager's REST API" up; then
            stop_daemon "$PIDFILE" JobManager 10
            die "the JobManager did not come up; see $FDIR/log/jobmanager.log"
        fi
        log "JobManager ready: $(flink_rest)"
        ;;
    stop)
        stop_daemon "$PIDFILE" JobManager "$TIMEOUT"
        ;;
    status)
        if pid="$(live_pid "$PIDFILE")"; then
            echo "JobManager running, pid $pid, REST $(flink_rest)"
        else
            echo "JobManager not running"
            exit 1
        fi
        ;;
    *) usage >&2; die "unknown action: $ACTION" ;;
esac
