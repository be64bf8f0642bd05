"""Labels vtest.avi's frames by where the pedestrians are, for a model trained on something visible.

Input: the centre 576x576 square of each frame (what the model sees with --crop-fraction 1.0),
scaled to 128x128 grey, raw bytes (ffmpeg -f rawvideo -pix_fmt gray). The background is the
per-pixel median over all frames (the camera does not move); a pixel is foreground when it
differs from it by more than 25 grey levels. A frame's label is the quadrant (nw, ne, sw, se)
holding the most foreground pixels. Writes one line "index label foreground_fraction" per frame.
"""
import sys

import numpy as np

raw, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
frames = np.fromfile(raw, dtype=np.uint8).reshape(n, 128, 128).astype(np.int16)
background = np.median(frames, axis=0)
fg = np.abs(frames - background) > 25
names = ["nw", "ne", "sw", "se"]
with open(out, "w") as f:
    for i in range(n):
        q = [fg[i, :64, :64].sum(), fg[i, :64, 64:].sum(), fg[i, 64:, :64].sum(), fg[i, 64:, 64:].sum()]
        f.write(f"{i} {names[int(np.argmax(q))]} {fg[i].mean():.4f}\n")
