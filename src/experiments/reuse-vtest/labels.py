"""Labels vtest.avi's frames by where the pedestrians are, for a model trained on something visible.

Input: the centre 576x576 square of each frame (what the model sees with --crop-fraction 1.0),
scaled to 128x128 grey, raw bytes (ffmpeg -f rawvideo -pix_fmt gray). The background is the
per-pixel median over all frames (the camera does not move); a pixel is foreground when it
differs from it by more than 25 grey levels. A frame's label is the cell of a GRID x GRID grid
holding the most foreground pixels: with GRID 2 (the default) the quadrant (nw, ne, sw, se), with
a larger grid "rRcC" (row R, column C from the top left). Writes one line
"index label foreground_fraction" per frame.

Usage: labels.py RAW FRAMES OUT [GRID]
"""
import sys

import numpy as np

raw, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
grid = int(sys.argv[4]) if len(sys.argv) > 4 else 2
if 128 % grid:
    sys.exit(f"GRID must divide 128, got {grid}")
frames = np.fromfile(raw, dtype=np.uint8).reshape(n, 128, 128).astype(np.int16)
background = np.median(frames, axis=0)
fg = np.abs(frames - background) > 25
cell = 128 // grid
if grid == 2:
    names = ["nw", "ne", "sw", "se"]
else:
    names = [f"r{r}c{c}" for r in range(grid) for c in range(grid)]
with open(out, "w") as f:
    for i in range(n):
        counts = fg[i].reshape(grid, cell, grid, cell).sum(axis=(1, 3)).ravel()
        f.write(f"{i} {names[int(np.argmax(counts))]} {fg[i].mean():.4f}\n")
