#!/bin/bash
# The students as rungs (src/docs/student.md, evidence): after train.sh, measures on a quiet machine
# each domain's teacher ladder with its students as candidates, end to end (decode + preprocess +
# forward, the way the job runs a frame), with `ladder --student`. Usage:
#   bash src/experiments/student-distill/measure.sh [demo|hard|video ...]     (default: demo hard)
# Same $OUT, $JAR and video variables as train.sh. Per domain it writes ladder-<student>.{txt,json,png}:
# the full candidate set (no reuse levels) with the first of $STUDENTS (default: the channel-shuffle
# student distilled with logit KD, then the plain one), the others alone against the uncompressed
# teacher (--families student). The p1/p3 students share their preset's architecture, hence its speed.
set -euo pipefail
cd "$(dirname "$0")/../../.."   # the repository root
JAR=${JAR:-flink-job/target/tocom-stream.jar}
OUT=${OUT:-target/student-distill}
SIZE=${LADDER_SIZE:-300}
ROUNDS=${ROUNDS:-3}
DEMO=flink-job/src/main/resources/demo-model
HD="--object-scale 0.15,0.45 --noise 20"

ladders() {  # domain teacher families('' = default) frame-options...
  local domain=$1 teacher=$2 all=$3; shift 3
  local first=1
  for name in ${STUDENTS:-vit_demo_shuffle_tiny-kd vit_demo_tiny-kd}; do
    local s=$OUT/$domain/$name
    [ -f $s/model.json ] || continue
    [ -f $OUT/$domain/ladder-$name.txt ] && { first=0; continue; }
    local families=(--families student)
    if [ $first = 1 ]; then families=(); [ -z "$all" ] || families=(--families "$all"); fi
    echo "== $domain ladder with $name" >&2
    java -jar $JAR ladder --model "$teacher" --student $s "$@" "${families[@]}" --size $SIZE --rounds $ROUNDS \
        --rungs ${RUNGS:-1.5,2,3,4} --reuse off --timing-frames ${TIMING:-64} \
        --out $OUT/$domain/ladder-$name.json --plot $OUT/$domain/ladder-$name.png \
        > $OUT/$domain/ladder-$name.txt 2> $OUT/$domain/ladder-$name.log
    first=0
  done
}

for d in ${@:-demo hard}; do
  case $d in
    demo) ladders demo $DEMO '' --generator --data-seed 3 --cameras 4 --frame-size 320 ;;
    hard) ladders hard $OUT/hard/teacher '' --generator --data-seed 3 $HD --cameras 4 --frame-size 320 ;;
    video) ladders video "$VIDEO_TEACHER" tome,tome-decreasing,evit,idle --images "$VIDEO_VAL" ;;
    *) echo "unknown domain $d (demo, hard or video)" >&2; exit 2 ;;
  esac
done
