#!/bin/bash
# The measured ladder against the derived one, measured on the cameras' own frames, on the demo model and on the
# harder domain (the demo model fine-tuned on smaller objects and more noise, ../compression-matched-macs/).
# For each model: `ladder` on 500 frames of four synthetic cameras at 320 px (labelled: top-1), the same frames
# unlabelled (agreement with none), then `loadtest --ladders derived,measured` on the job's defaults at
# 0.5x/1.5x/0.5x of the level-none capacity. About 35 minutes on an otherwise idle 2-core machine.
# Writes into $OUT (default target/ladder-cameras).
set -euo pipefail
cd "$(dirname "$0")/../../.."   # the repository root
JAR=${JAR:-flink-job/target/tocom-stream.jar}
OUT=${OUT:-target/ladder-cameras}
HARD=${HARD:-target/compression-matched-macs/hard-model}
LT="--policies default --frame-size 320 --streams 4 --phases 0.5,1.5,0.5 --phase-seconds 60 --capacity-frames 4000"
for name in ${NAMES:-demo hard}; do
  if [ $name = demo ]; then SRC=flink-job/src/main/resources/demo-model; DATA="--data-seed 0"; CAMS=""
  else SRC=$HARD; DATA="--data-seed 2 --object-scale 0.15,0.45 --noise 20"; CAMS="--object-scale 0.15,0.45 --noise 20"; fi
  M=$OUT/$name/model
  rm -rf $M && mkdir -p $OUT/$name && cp -r $SRC $M && rm -f $M/ladder.json $M/ladder.png
  java -jar $JAR ladder --model $M --generator $DATA --cameras 4 --frame-size 320 --rungs 1.25,1.5,2,3 \
      2> $OUT/$name/ladder.log | tee $OUT/$name/ladder.txt
  cp $M/ladder.json $M/ladder.png $OUT/$name/
  if [ $name = demo ]; then   # the same frames without labels: agreement with none picks the rungs
    java -cp $JAR src/experiments/ladder-cameras/DumpCameraFrames.java $OUT/$name/frames 500 320 0
    java -jar $JAR ladder --model $M --images $OUT/$name/frames --rungs 1.25,1.5,2,3 \
        --out $OUT/$name/ladder-unlabelled.json --plot $OUT/$name/ladder-unlabelled.png \
        2> $OUT/$name/ladder-unlabelled.log | tee $OUT/$name/ladder-unlabelled.txt
  fi
  java -jar $JAR loadtest --model $M --ladders derived,measured $LT $CAMS --out $OUT/$name/loadtest \
      > $OUT/$name/loadtest.txt 2>&1 || true     # exit 1 when a check fails; the table says which
done
