package org.tocomstream.stream;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.tocomstream.model.ReuseCache;
import org.tocomstream.model.ReuseResult;
import org.tocomstream.model.ReuseState;

/**
 * Runs a batch at a token-reuse level round by round ({@link ReuseCache.Reservation#rounds}): each
 * forward pass holds at most one frame per camera, and a camera's frames run in their order, each
 * on the cache its predecessor left. The batch's inference time is the sum of its rounds.
 */
final class ReuseRounds {

    private ReuseRounds() {}

    static InferenceBatch.Result run(
            BatchPredictor predictor,
            InferenceBatch batch,
            ReuseCache.Reservation reuse,
            Function<float[][], List<List<LabelRecord.Label>>> top)
            throws Exception {
        List<PendingFrame> frames = batch.run();
        float[][] logits = new float[frames.size()][];
        LabelRecord.Reuse[] provenance = new LabelRecord.Reuse[frames.size()];
        long nanos = 0;
        for (int[] round : reuse.rounds()) {
            ReuseState[] states = reuse.prepare(round);
            List<PendingFrame> roundFrames = new ArrayList<>(round.length);
            for (int i : round) {
                roundFrames.add(frames.get(i));
            }
            float[] pixels = BatchRunner.stack(roundFrames);
            long start = System.nanoTime();
            ReuseResult r = predictor.logitsReusing(pixels, round.length, batch.level(), states);
            nanos += System.nanoTime() - start;
            for (int j = 0; j < round.length; j++) {
                logits[round[j]] = r.logits()[j];
                provenance[round[j]] = new LabelRecord.Reuse(r.reused()[j], r.recomputed()[j]);
            }
        }
        return new InferenceBatch.Result(top.apply(logits), null, nanos, Arrays.asList(provenance));
    }
}
