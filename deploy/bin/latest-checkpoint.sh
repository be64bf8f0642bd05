#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Prints the newest complete retained checkpoint of a job (CHECKPOINT_DIR/JOBID/chk-N with its
# _metadata), to resume the job from with submit.sh --from-savepoint after its JobManager was lost.
# Reads execution.checkpointing.dir from RUN_DIR's rendered config.yaml unless --checkpoint-dir is
# given; only local and mounted (file://) directories can be listed here.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

usage() {
    cat <<USAGE
usage: latest-checkpoint.sh [--checkpoint-dir DIR] [--run-dir DIR] JOBID

  --checkpoint-dir DIR  where the cluster writes checkpoints (a path or file:// URI; default the
                        execution.checkpointing.dir of RUN_DIR/flink/conf/config.yaml)
  --run-dir DIR         the run directory cluster-start.sh used (default \$TOCOM_RUN_DIR or deploy/run)
Exit 1 when the job has no complete checkpoint (an in-progress chk-N has no _metadata yet).
USAGE
}

CHECKPOINT_DIR=""
while (($#)); do
    case "$1" in
        --checkpoint-dir) CHECKPOINT_DIR="$2"; shift 2 ;;
        --run-dir) RUN_DIR="$2"; shift 2 ;;
        -h | --help) usage; exit 0 ;;
        -*) usage >&2; die "unknown option: $1" ;;
        *) break ;;
    esac
done
(($# == 1)) || { usage >&2; exit 2; }
JOB_ID="$1"
[[ "$JOB_ID" =~ ^[0-9a-f]{32}$ ]] || die "not a job id: $JOB_ID"
if [[ -z "$CHECKPOINT_DIR" ]]; then
    conf="$(abspath "$RUN_DIR")/flink/conf/config.yaml"
    [[ -f "$conf" ]] || die "no $conf; pass --checkpoint-dir"
    CHECKPOINT_DIR="$(sed -n 's/^execution\.checkpointing\.dir:[[:space:]]*\([^[:space:]#]*\).*/\1/p' "$conf" | sed -n 1p)"
    [[ -n "$CHECKPOINT_DIR" ]] || die "no execution.checkpointing.dir in $conf; pass --checkpoint-dir"
fi
case "$CHECKPOINT_DIR" in
    file://*) dir="${CHECKPOINT_DIR#file://}" ;;
    *://*) die "cannot list $CHECKPOINT_DIR from here; list it with its own tool and pick the highest chk-N holding _metadata" ;;
    *) dir="$CHECKPOINT_DIR" ;;
esac
[[ -d "$dir/$JOB_ID" ]] || die "no checkpoints of job $JOB_ID under $dir"
latest=""
for chk in "$dir/$JOB_ID"/chk-*; do
    [[ -f "$chk/_metadata" ]] || continue
    n="${chk##*/chk-}"
    [[ -z "$latest" || "$n" -gt "${latest##*/chk-}" ]] && latest="$chk"
done
[[ -n "$latest" ]] || die "job $JOB_ID has no complete checkpoint under $dir/$JOB_ID"
printf '%s\n' "$latest"
