package org.tocomstream.stream;

import java.util.List;
import org.tocomstream.compress.CompressionLevel;

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

    /** Class names in logit order. */
    List<String> labels();

    /**
     * Logits of a batch.
     *
     * @param pixels {@code batchSize} preprocessed frames, row-major {@code (B, C, H, W)}
     * @param batchSize B
     * @param level the compression of this call
     * @return {@code [batchSize][labels().size()]}
     */
    float[][] logits(float[] pixels, int batchSize, CompressionLevel level) throws Exception;

    /**
     * The Token Compensator pair applied at {@code level}, as {@code "m->n"}, or null when none is
     * (always null until the compensator issue).
     */
    default String compensator(CompressionLevel level) {
        return null;
    }

    /** Releases this subtask's hold on the model. */
    @Override
    void close();
}
