package org.tocomstream.stream;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.tocomstream.model.ReuseCache;

/**
 * The work of an inference thread for one batch: stack the pixels of the frames that run, call
 * the model at the batch's level, time the call and keep the top labels of each frame. Reads only
 * the batch's inputs, so several threads may run batches at once (the predictor allows it). Any
 * failure comes out as one {@link InferenceException} naming the batch.
 *
 * <pre>{@code
 * BatchRunner runner = new BatchRunner(predictor, labels, topK);
 * InferenceBatch.Result result = runner.run(batch);   // on an inference thread
 * }</pre>
 */
final class BatchRunner {

    /** Per-thread staging array for a batch's pixels, reused when the batch size repeats. */
    private static final ThreadLocal<float[]> BATCH_PIXELS = new ThreadLocal<>();

    private final BatchPredictor predictor;
    private final String modelId;
    private final List<String> labels;
    private final int topK;

    /**
     * @param predictor the subtask's model handle
     * @param labels class names in logit order
     * @param topK labels kept per frame, at most {@code labels.size()}
     */
    BatchRunner(BatchPredictor predictor, List<String> labels, int topK) {
        this.predictor = Objects.requireNonNull(predictor, "predictor");
        this.modelId = predictor.modelId();
        this.labels = List.copyOf(labels);
        this.topK = topK;
    }

    /**
     * Runs the batch's {@link InferenceBatch#run() frames that run}; there must be at least one.
     *
     * @throws InferenceException with the batch size, level, model and first frame
     */
    InferenceBatch.Result run(InferenceBatch batch) throws InferenceException {
        try {
            ReuseCache.Reservation reuse = batch.reuse();
            if (reuse != null && reuse.size() > 0) {
                return ReuseRounds.run(predictor, batch, reuse, this::topLabels);
            }
            float[] pixels = stack(batch.run());
            int n = batch.run().size();
            long start = System.nanoTime();
            float[][] logits = predictor.logits(pixels, n, batch.level());
            long nanos = System.nanoTime() - start;
            if (logits.length != n) {
                throw new IllegalStateException(
                        String.format("model returned %d rows for %d frames", logits.length, n));
            }
            return new InferenceBatch.Result(topLabels(logits), predictor.compensator(batch.level()), nanos);
        } catch (Throwable t) {
            DecodedFrame first = batch.run().get(0).frame();
            throw new InferenceException(
                    String.format(
                            "inference failed for a batch of %d frames at level %s on"
                                    + " model %s (first frame %s#%d): %s",
                            batch.run().size(), batch.level(), modelId, first.stream(), first.seq(), t),
                    t);
        }
    }

    private List<List<LabelRecord.Label>> topLabels(float[][] logits) {
        List<List<LabelRecord.Label>> result = new ArrayList<>(logits.length);
        for (float[] row : logits) {
            result.add(TopLabels.of(row, labels, topK));
        }
        return result;
    }

    /** The frames' pixels back to back, in a per-thread array reused while the size repeats. */
    static float[] stack(List<PendingFrame> frames) {
        int per = frames.get(0).frame().pixels().length;
        int total = per * frames.size();
        float[] out = BATCH_PIXELS.get();
        if (out == null || out.length != total) {
            out = new float[total];
            BATCH_PIXELS.set(out);
        }
        for (int i = 0; i < frames.size(); i++) {
            float[] px = frames.get(i).frame().pixels();
            if (px.length != per) {
                DecodedFrame f = frames.get(i).frame();
                throw new IllegalArgumentException(String.format(
                        "frame %s#%d has %d values but the batch's first frame has %d:"
                                + " the decoder's preprocessing and the model disagree",
                        f.stream(), f.seq(), px.length, per));
            }
            System.arraycopy(px, 0, out, i * per, per);
        }
        return out;
    }
}
