#!/bin/bash
# Trains the students of src/docs/student.md's evidence tables: vit_demo_tiny (plain) and
# vit_demo_shuffle_tiny (channel shuffle, equal MACs), each distilled three ways (logit KD only;
# KD + 1 projector; KD + 3 projectors, the paper's q), on two generator domains and on unlabelled
# frames of a fixed camera, then evaluates them. Usage:
#   bash src/experiments/student-distill/train.sh [demo|hard|video ...]     (default: demo hard)
# Writes into $OUT (default target/student-distill); $EPOCHS (default 4), $SIZE (generated training
# scenes, default 6000) and $WAYS (default "kd p1 p3") change the runs. Each run resumes or finds itself finished when
# run again. The video domain needs $VIDEO_TEACHER (a model trained on the frames, see README) and
# $VIDEO_FRAMES (a folder of its unlabelled frames) and $VIDEO_VAL (a labelled folder for accuracy).
set -euo pipefail
cd "$(dirname "$0")/../../.."   # the repository root
JAR=${JAR:-flink-job/target/tocom-stream.jar}
OUT=${OUT:-target/student-distill}
EPOCHS=${EPOCHS:-4}
SIZE=${SIZE:-6000}
DEMO=flink-job/src/main/resources/demo-model
HD="--generator --data-seed 2 --object-scale 0.15,0.45 --noise 20"
mkdir -p "$OUT"
declare -A WAY=([kd]="--feature-weight 0" [p1]="--projectors 1" [p3]="--projectors 3")
EXTRA=${EXTRA:-}   # more train options for every student, e.g. "--temperature 1"

students() {  # domain teacher data-options...
  local domain=$1 teacher=$2; shift 2
  mkdir -p "$OUT/$domain"
  for preset in vit_demo_tiny vit_demo_shuffle_tiny; do
    for way in ${WAYS:-kd p1 p3}; do
      local dir=$OUT/$domain/$preset-$way
      echo "== $domain $preset $way" >&2
      java -jar $JAR train --preset $preset --teacher "$teacher" "$@" ${WAY[$way]} $EXTRA \
          --epochs $EPOCHS --warmup-epochs 1 --lr 1e-3 --crop-fraction 1.0 --seed 0 --log-every 100 \
          --out "$dir" 2> "$dir.log" || { tail -3 "$dir.log"; exit 1; }
    done
  done
}

for domain in "${@:-demo hard}"; do
  for d in $domain; do
    case $d in
      demo) students demo $DEMO --generator --train-size $SIZE --val-size 500
            java -jar $JAR evaluate --model $DEMO --generator --test-size 2000 --levels none \
                --json $OUT/demo/teacher.json > $OUT/demo/teacher.txt 2>/dev/null
            for s in $OUT/demo/vit_demo*/; do
              java -jar $JAR evaluate --model $s --generator --test-size 2000 --levels none \
                  --json ${s%/}.eval.json > ${s%/}.eval.txt 2>/dev/null
            done ;;
      hard) HARD=$OUT/hard/teacher
            mkdir -p $OUT/hard
            if [ ! -f $HARD/model.json ]; then
              java -jar $JAR train --model $DEMO $HD --epochs 2 --train-size 3200 --val-size 400 --lr 5e-5 \
                  --warmup-epochs 0.1 --crop-fraction 1.0 --seed 0 --log-every 50 --out $HARD 2> $OUT/hard/teacher.log
            fi
            students hard $HARD $HD --train-size $SIZE --val-size 500
            java -jar $JAR evaluate --model $HARD $HD --test-size 2000 --levels none \
                --json $OUT/hard/teacher.json > $OUT/hard/teacher.txt 2>/dev/null
            for s in $OUT/hard/vit_demo*/; do
              java -jar $JAR evaluate --model $s $HD --test-size 2000 --levels none \
                  --json ${s%/}.eval.json > ${s%/}.eval.txt 2>/dev/null
            done ;;
      video) students video "$VIDEO_TEACHER" --images "$VIDEO_FRAMES" --val-data "$VIDEO_VAL"
             for s in "$VIDEO_TEACHER" $OUT/video/vit_demo*/; do
               java -jar $JAR evaluate --model $s --data "$VIDEO_VAL" --levels none \
                   --json $OUT/video/$(basename ${s%/}).eval.json > $OUT/video/$(basename ${s%/}).eval.txt 2>/dev/null
             done ;;
      *) echo "unknown domain $d (demo, hard or video)" >&2; exit 2 ;;
    esac
  done
done
