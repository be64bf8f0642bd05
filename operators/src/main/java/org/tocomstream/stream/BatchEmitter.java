package org.tocomstream.stream;

import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.tocomstream.compress.CompressionLevel;

/**
 * Turns a labelled batch into output: one {@link LabelRecord} per frame, in order, with its input
 * record's timestamp (skipped frames too, marked {@code skipped}), then the watermark the batch
 * held back; and the per-frame and per-batch metrics of the emission. Task thread only.
 *
 * <pre>{@code
 * BatchEmitter emitter = new BatchEmitter(predictor::modelId, "gpu1", metrics, output::collect, output::emitWatermark);
 * emitter.emit(batch, nowMs);
 * }</pre>
 */
final class BatchEmitter {

    private final Function<CompressionLevel, String> modelIds;
    private final String device;
    private final InferenceMetrics metrics;
    private final Consumer<StreamRecord<LabelRecord>> records;
    private final Consumer<Watermark> watermarks;

    /**
     * @param modelIds the identity of the model that answers a batch at a level ({@link
     *     BatchPredictor#modelId(CompressionLevel)}), written into its labels
     * @param device the device that runs the model ({@link BatchPredictor#device()}), written into
     *     every label; null to leave it out
     * @param metrics updated per frame ({@code frameAgeMs}) and per batch
     * @param records where label records go
     * @param watermarks where the watermark after a batch goes
     */
    BatchEmitter(
            Function<CompressionLevel, String> modelIds,
            String device,
            InferenceMetrics metrics,
            Consumer<StreamRecord<LabelRecord>> records,
            Consumer<Watermark> watermarks) {
        this.modelIds = Objects.requireNonNull(modelIds, "model ids");
        this.device = device;
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.records = Objects.requireNonNull(records, "records");
        this.watermarks = Objects.requireNonNull(watermarks, "watermarks");
    }

    /**
     * Emits a labelled batch at processing time {@code nowMs}: a frame's age is {@code nowMs}
     * minus its capture time, or minus the time it was read when its capture time is not trusted.
     */
    void emit(InferenceBatch batch, long nowMs) {
        InferenceBatch.Result result = batch.result();
        int n = batch.frames().size();
        int ran = batch.run().size();
        LabelRecord.Level level =
                new LabelRecord.Level(batch.level().methodName(), batch.level().toString(), result.compensator());
        // Microsecond precision is plenty and keeps the JSON short.
        double inferenceMs = Math.round(result.inferenceNanos() / 1e3) / 1e3;
        String modelId = modelIds.apply(batch.level());
        int next = 0;
        for (int i = 0; i < n; i++) {
            PendingFrame p = batch.frames().get(i);
            DecodedFrame f = p.frame();
            long age = nowMs - f.ageFromTs();
            boolean skip = batch.isSkipped(i);
            LabelRecord.Reuse reuse =
                    skip || result.reuse() == null ? null : result.reuse().get(next);
            List<LabelRecord.Label> labels = skip ? List.of() : result.labels().get(next++);
            LabelRecord label = new LabelRecord(
                    f.stream(),
                    f.seq(),
                    f.captureTs(),
                    labels,
                    level,
                    modelId,
                    ran,
                    inferenceMs,
                    age,
                    skip,
                    reuse,
                    device);
            if (reuse != null) {
                (reuse.reused() ? metrics.reusedFrames : metrics.fullReuseFrames).inc();
                metrics.recomputedTokens.update(reuse.recomputed());
            }
            records.accept(p.hasTimestamp() ? new StreamRecord<>(label, p.timestamp()) : new StreamRecord<>(label));
            metrics.frameAgeMs.update(age);
        }
        metrics.framesOut.inc(n);
        if (ran > 0) {
            metrics.batches.inc();
            metrics.batchLatencyMs.update(nowMs - batch.formedMs());
            if (result.compensator() != null) {
                metrics.compensatedBatches.inc();
            }
        }
        if (batch.watermarkAfter() != null) {
            watermarks.accept(batch.watermarkAfter());
        }
    }
}
