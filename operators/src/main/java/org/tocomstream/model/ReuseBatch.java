package org.tocomstream.model;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.List;
import org.tocomstream.compress.CompressionLevel;

/**
 * Splits a token-reuse batch by what each frame's state allows: frames with a filled state run one
 * {@link ReuseForward} reuse pass, the others (and scene cuts found by it) one full pass, both in
 * the level's attention mode (an accumulate frame needs a state its mode filled).
 */
final class ReuseBatch {

    private ReuseBatch() {}

    static ReuseResult run(
            VitForward forward, NDArray images, CompressionLevel level, ReuseState[] states, double sceneCut) {
        int b = states.length;
        int patches = forward.config().numPatches();
        int kept = level.reuseRecomputed(patches);
        boolean accumulate = level.reuseAccumulates();
        float[][] logits = new float[b][];
        int[] recomputed = new int[b];
        boolean[] reused = new boolean[b];
        List<Integer> filled = new ArrayList<>();
        List<Integer> empty = new ArrayList<>();
        for (int i = 0; i < b; i++) {
            (states[i].isFilledFor(accumulate) ? filled : empty).add(i);
        }
        if (!filled.isEmpty()) {
            ReuseForward.Pass pass =
                    ReuseForward.run(forward, rows(images, filled), pick(states, filled), kept, accumulate);
            float[][] rows = VitModel.toRows(pass.logits());
            for (int j = 0; j < filled.size(); j++) {
                int i = filled.get(j);
                if (pass.moved()[j] > sceneCut) {
                    states[i].reset();
                    empty.add(i);
                } else {
                    logits[i] = rows[j];
                    recomputed[i] = kept;
                    reused[i] = true;
                }
            }
        }
        if (!empty.isEmpty()) {
            empty.sort(null);
            ReuseForward.Pass pass =
                    ReuseForward.run(forward, rows(images, empty), pick(states, empty), -1, accumulate);
            float[][] rows = VitModel.toRows(pass.logits());
            for (int j = 0; j < empty.size(); j++) {
                logits[empty.get(j)] = rows[j];
                recomputed[empty.get(j)] = patches;
            }
        }
        return new ReuseResult(logits, recomputed, reused);
    }

    private static NDArray rows(NDArray images, List<Integer> which) {
        if (which.size() == images.getShape().get(0)) {
            return images;
        }
        long[] idx = which.stream().mapToLong(Integer::longValue).toArray();
        return images.get(images.getManager().create(idx));
    }

    private static ReuseState[] pick(ReuseState[] states, List<Integer> which) {
        return which.stream().map(i -> states[i]).toArray(ReuseState[]::new);
    }
}
