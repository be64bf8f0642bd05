#!/usr/bin/env bash
# Token reuse on a fixed camera: opencv-doc's vtest.avi (pedestrians on a plaza, 768x576, 795 frames).
#   1. labels each frame by where the pedestrians are (labels.py) and trains the bundled model's
#      architecture on them (vit_demo, 64 px): a model whose answer depends on what moves;
#   2. speed: bench --video at DeiT-S shape (random weights), batch 8, k from 5 % to 100 %;
#   3. agreement with full computation, frame by frame, on the trained model;
#   4. the overload test on the video's frames: compression-only ladder vs a reuse ladder.
# Needs ffmpeg and python3 with numpy (Debian packages), opencv-doc for the video; the project's
# build and tests need none of them. Run from the project root after `mvn -B -DskipTests package`.
set -euo pipefail
VIDEO=${VIDEO:-/usr/share/doc/opencv-doc/examples/data/vtest.avi}
JAR=${JAR:-flink-job/target/tocom-stream.jar}
OUT=${OUT:-target/reuse-vtest}
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$OUT/all"

# The image folders of a labels file (LABELS DIR): frames 0-599 in DIR/train, the rest in DIR/val.
folders() {
  rm -rf "$2"
  while read -r i label _; do
    split=train; [ "$i" -ge 600 ] && split=val
    mkdir -p "$2/$split/$label"
    ln -sf "$(realpath "$OUT/all/$(printf %04d $((i + 1))).jpg")" "$2/$split/$label/"
  done < "$1"
}

# 1. Labels and the training folders: frames 0-599 train, 600-794 validate.
ffmpeg -v error -y -i "$VIDEO" -vf "crop=576:576:96:0,scale=128:128" -f rawvideo -pix_fmt gray "$OUT/gray.raw"
n=$(( $(stat -c %s "$OUT/gray.raw") / 16384 ))
python3 "$HERE/labels.py" "$OUT/gray.raw" "$n" "$OUT/labels.txt"
ffmpeg -v error -y -i "$VIDEO" -q:v 2 "$OUT/all/%04d.jpg"
folders "$OUT/labels.txt" "$OUT/data"
# No augmentation: a flip or a crop would move the pedestrians to another quadrant.
java -jar "$JAR" train --preset vit_demo --data "$OUT/data/train" --val-data "$OUT/data/val" \
  --epochs 40 --batch 32 --crop-fraction 1.0 --no-augment --out "$OUT/model"

# 2. Speed at DeiT-S shape, batch 8 (8 cameras), random weights.
java -jar "$JAR" bench --video "$VIDEO" --preset deit_small_patch16_224 --sweep-reuse --streams 8 \
  --frames 400 --json "$OUT/speed-deit-s.json"

# 3. Agreement with full computation on the trained model, all frames, 8 cameras.
java -jar "$JAR" bench --video "$VIDEO" --model "$OUT/model" --sweep-reuse --streams 8 \
  --json "$OUT/agreement.json"

# 4. Overload: 4 cameras of the video, 1.5x the capacity at level none, both ladders in one run.
java -jar "$JAR" loadtest --video "$VIDEO" --model "$OUT/model" --streams 4 \
  --ladders 'derived,none;reuse:0.5;reuse:0.25;reuse:0.1' --policies default \
  --phases 0.5,1.5,0.5 --phase-seconds 60 --capacity-frames 4000 --out "$OUT/loadtest"

# 5. The same at 128 px (256 patch tokens, where reuse pays on this architecture): train, agreement and
#    speed frame by frame, the measured ladders without and with reuse candidates, and the overload
#    test with 8 cameras (one frame per camera per forward pass) over the default phases.
java -jar "$JAR" train --preset vit_demo --input-size 128 --data "$OUT/data/train" --val-data "$OUT/data/val" \
  --epochs 20 --batch 32 --crop-fraction 1.0 --no-augment --out "$OUT/model128"
java -jar "$JAR" bench --video "$VIDEO" --model "$OUT/model128" --streams 8 --json "$OUT/agreement-128.json" \
  --levels 'none;reuse:0.5;reuse:0.35;reuse:0.25;reuse:0.15;reuse:0.1;tome:16;tome:20;evit:0.8;evit:0.7;evit:0.6;evit:0.5;idle:0.5'
LADDER_ARGS=(--model "$OUT/model128" --video "$VIDEO" --cameras 8 --families tome,evit,idle --rungs 1.5,2,2.5,3
  --size 400 --rounds 3)
java -jar "$JAR" ladder "${LADDER_ARGS[@]}" --reuse off --out "$OUT/model128/ladder-compression.json" \
  --plot "$OUT/ladder-compression.png"
java -jar "$JAR" ladder "${LADDER_ARGS[@]}" --out "$OUT/model128/ladder.json" --plot "$OUT/ladder-with-reuse.png"
java -jar "$JAR" loadtest --video "$VIDEO" --model "$OUT/model128" --frame-size 320 --streams 8 \
  --ladders "comp=$OUT/model128/ladder-compression.json|reuse=none;reuse:0.25;reuse:0.1" --policies default \
  --phases 0.5,1.5,2.5,0.5 --phase-seconds 60 --capacity-frames 1000 --out "$OUT/loadtest-128"

# 6. A finer answer at 128 px: the cell of a 4 x 4 grid holding the most pedestrians (12 of the 16
#    cells occur), where merging or pruning tokens could move the answer. (2026-12-07: the model
#    never learnt it, validation 17.44 % at every epoch, the share of its one answer; not measured
#    further.)
python3 "$HERE/labels.py" "$OUT/gray.raw" "$n" "$OUT/labels16.txt" 4
folders "$OUT/labels16.txt" "$OUT/data16"
java -jar "$JAR" train --preset vit_demo --input-size 128 --data "$OUT/data16/train" --val-data "$OUT/data16/val" \
  --epochs 20 --batch 32 --crop-fraction 1.0 --no-augment --out "$OUT/model16"

# 7. The synthetic fixed camera (--scene static: one background per camera, one object gliding
#    across it, labelled by its class) at 128 px: the demo architecture trained on generated scenes
#    (the recorded run was stopped after epoch 1 of 3, validation 96.0 %; the checkpoint of epoch 1
#    is the model measured), then the measured ladder with reuse candidates on 8 static cameras.
java -jar "$JAR" train --preset vit_demo --generator --input-size 128 --frame-size 128 --train-size 6000 \
  --val-size 500 --epochs 3 --warmup-epochs 0.5 --lr 1e-3 --crop-fraction 1.0 --seed 0 --log-every 20 \
  --out "$OUT/model-static"
java -jar "$JAR" ladder --model "$OUT/model-static" --generator --cameras 8 --scene static --frame-size 320 \
  --families tome,evit,idle --rungs 1.5,2,2.5,3 --size 400 --rounds 3 --out "$OUT/model-static/ladder.json" \
  --plot "$OUT/ladder-static-with-reuse.png"

# 8. DeiT-S (224 px), where reuse pays most, on the quadrant labels of 1: from scratch, then fine-tuned.
#    (2026-12-07: validation 35.90 % then 35.38 % at every epoch, the commonest quadrant's share:
#    it never learnt the answer; not measured further.)
java -jar "$JAR" train --preset deit_small_patch16_224 --data "$OUT/data/train" --val-data "$OUT/data/val" \
  --epochs 8 --batch 32 --lr 5e-4 --warmup-epochs 1 --crop-fraction 1.0 --no-augment --out "$OUT/deit-s"
java -jar "$JAR" train --model "$OUT/deit-s" --data "$OUT/data/train" --val-data "$OUT/data/val" \
  --epochs 10 --batch 32 --lr 3e-4 --warmup-epochs 0 --crop-fraction 1.0 --no-augment --out "$OUT/deit-s2"
