package org.tocomstream.stream;

import java.util.List;
import java.util.Optional;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.compress.TokenGeometry;
import org.tocomstream.model.ReuseCache;
import org.tocomstream.model.ReuseResult;
import org.tocomstream.model.ReuseState;

/**
 * One inference subtask's handle on a model: logits for a batch at a level. Opened by a {@link
 * PredictorFactory} in the operator's {@code open()}, closed in its {@code close()}.
 *
 * <p>Thread-safety: the operator calls {@link #logits} from up to {@link
 * BatchingConfig#maxInFlight()} inference threads at once, so implementations must allow
 * concurrent calls (the shared {@link org.tocomstream.model.VitModel} does).
 */
public interface BatchPredictor extends AutoCloseable {

    /** The model's identity as labels report it, e.g. {@code vit_demo@1a2b3c4d}. */
    String modelId();

    /**
     * The identity of the student that answers batches at the {@link CompressionLevel#student()
     * student} level ({@link ModelConfig#studentDir()}), or null when this predictor has none.
     */
    default String studentId() {
        return null;
    }

    /** The model that answers a batch at {@code level}, as labels report it: the student's at the student level. */
    default String modelId(CompressionLevel level) {
        return level.isStudent() && studentId() != null ? studentId() : modelId();
    }

    /**
     * The device the model runs on as labels report it ({@code device}): {@code cpu} or {@code
     * gpuN}, N the CUDA index; null when unknown (labels then omit the field).
     */
    default String device() {
        return null;
    }

    /** Class names in logit order. */
    List<String> labels();

    /**
     * Logits of a batch; at the student level, the student's ({@link #studentId()}). With a Token Compensator, a batch at a constant ToMe level n runs with
     * the delta Δ(m→n) of the pair {@link #compensator(CompressionLevel)} reports (m = the
     * model's trained degree); other levels run the plain compressed model.
     *
     * @param pixels {@code batchSize} preprocessed frames, row-major {@code (B, C, H, W)}
     * @param batchSize B
     * @param level the compression of this call
     * @return {@code [batchSize][labels().size()]}
     */
    float[][] logits(float[] pixels, int batchSize, CompressionLevel level) throws Exception;

    /**
     * The Token Compensator pair {@link #logits} applies at {@code level}, as {@code "m->n"}, or
     * null when none is: no plugin, a level that is not a constant ToMe degree, a degree outside
     * the plugin's range, or m = n. Labels report it as {@code level.compensator}.
     */
    default String compensator(CompressionLevel level) {
        return null;
    }

    /**
     * This subtask's per-camera token-reuse cache ({@code src/docs/reuse.md}), owned by the
     * predictor and closed with it; null when the model cannot reuse tokens, and then a reuse
     * level runs the plain model through {@link #logits}.
     */
    default ReuseCache reuseCache() {
        return null;
    }

    /**
     * Logits of frames of different cameras at a reuse level, each with its camera's state from
     * {@link #reuseCache()} (a scene cut is recomputed in full, at the cache's threshold).
     *
     * @param pixels {@code batchSize} preprocessed frames, row-major {@code (B, C, H, W)}
     * @param states one per frame
     */
    default ReuseResult logitsReusing(float[] pixels, int batchSize, CompressionLevel level, ReuseState[] states)
            throws Exception {
        throw new UnsupportedOperationException(modelId() + " cannot reuse tokens");
    }

    /** The model's token geometry, for the check that every level fits it; empty when unknown. */
    default Optional<TokenGeometry> geometry() {
        return Optional.empty();
    }

    /** Releases this subtask's hold on the model. */
    @Override
    void close();
}
