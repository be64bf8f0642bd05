package org.tocomstream.stream;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The value of a labels-topic record (JSON, {@code src/docs/wire-format.md}):
 *
 * <pre>{@code
 * {"stream":"cam-0","seq":41,"captureTs":1763700000000,
 *  "labels":[{"label":"red_circle","score":0.97},...],
 *  "level":{"method":"tome","schedule":"tome:4","compensator":null},
 *  "model":"vit_demo@1a2b3c4d","batchSize":8,"inferenceMs":31.5,"ageMs":140,"skipped":false,
 *  "device":"gpu1"}
 * }</pre>
 *
 * <p>At a token-reuse level a frame that ran also carries {@code "reuse":{"reused":true,
 * "recomputed":16}}; the field is absent otherwise.
 *
 * <p>A frame the load controller's shedding policy skipped still gets a record, with {@code
 * skipped} true and no labels, so that every frame read produces a label or a dead letter.
 *
 * @param stream the stream (camera) id, the record key
 * @param seq the frame's sequence number in its stream
 * @param captureTs capture time, epoch ms
 * @param labels top-k labels, best first
 * @param level the compression the frame's batch ran at
 * @param model the model's identity
 * @param batchSize frames in the batch the frame ran in
 * @param inferenceMs wall time of that batch's forward pass
 * @param ageMs emit time minus capture time
 * @param skipped true when the frame was not run through the model (shed under overload); its
 *     {@code labels} are then empty, {@code level} is the level of the batch it was part of and
 *     {@code batchSize} counts the frames of that batch that did run
 * @param reuse at a token-reuse level, whether the frame reused its camera's cache and how many
 *     patch tokens it recomputed; null (absent from the JSON) at other levels and for skipped frames
 * @param device the device of the model instance that served the frame's batch, {@code cpu} or
 *     {@code gpuN} (N the CUDA index on the TaskManager); null (absent from the JSON) when the
 *     predictor does not say, and in records written before the field existed
 */
public record LabelRecord(
        String stream,
        long seq,
        long captureTs,
        List<Label> labels,
        Level level,
        String model,
        int batchSize,
        double inferenceMs,
        long ageMs,
        boolean skipped,
        Reuse reuse,
        String device)
        implements Serializable {

    private static final long serialVersionUID = 1L;

    private static final Gson GSON =
            new GsonBuilder().serializeNulls().disableHtmlEscaping().create();

    /** One label and its softmax probability. */
    public record Label(String label, double score) implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    /**
     * The level of a batch as labels report it.
     *
     * @param method {@code none}, {@code tome} or {@code evit}
     * @param schedule the level's text form ({@code CompressionLevel#toString()})
     * @param compensator the ToCom pair applied as {@code "m->n"}, or null when none was
     */
    public record Level(String method, String schedule, String compensator) implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    /**
     * What a frame at a token-reuse level took from its camera's cache.
     *
     * @param reused false when the frame was computed in full (first frame of its camera, after a
     *     reset, a refresh or a scene cut)
     * @param recomputed patch tokens each block recomputed for the frame (all of them when not reused)
     */
    public record Reuse(boolean reused, int recomputed) implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    public LabelRecord {
        labels = List.copyOf(labels);
    }

    /** A record that does not name its device. */
    public LabelRecord(
            String stream,
            long seq,
            long captureTs,
            List<Label> labels,
            Level level,
            String model,
            int batchSize,
            double inferenceMs,
            long ageMs,
            boolean skipped,
            Reuse reuse) {
        this(stream, seq, captureTs, labels, level, model, batchSize, inferenceMs, ageMs, skipped, reuse, null);
    }

    /** A record without token reuse. */
    public LabelRecord(
            String stream,
            long seq,
            long captureTs,
            List<Label> labels,
            Level level,
            String model,
            int batchSize,
            double inferenceMs,
            long ageMs,
            boolean skipped) {
        this(stream, seq, captureTs, labels, level, model, batchSize, inferenceMs, ageMs, skipped, null, null);
    }

    /** A record of a frame that was labelled (not skipped). */
    public LabelRecord(
            String stream,
            long seq,
            long captureTs,
            List<Label> labels,
            Level level,
            String model,
            int batchSize,
            double inferenceMs,
            long ageMs) {
        this(stream, seq, captureTs, labels, level, model, batchSize, inferenceMs, ageMs, false, null, null);
    }

    /** The record as UTF-8 JSON. */
    public byte[] toJson() {
        JsonObject json = GSON.toJsonTree(this).getAsJsonObject();
        if (reuse == null) {
            json.remove("reuse"); // present only at token-reuse levels
        }
        if (device == null) {
            json.remove("device");
        }
        return GSON.toJson(json).getBytes(StandardCharsets.UTF_8);
    }

    /** Parses {@link #toJson()} output; a clear error on anything else. */
    public static LabelRecord fromJson(byte[] json) {
        try {
            LabelRecord r = GSON.fromJson(new String(json, StandardCharsets.UTF_8), LabelRecord.class);
            if (r == null || r.stream() == null || r.level() == null) {
                throw new IllegalArgumentException("not a label record: " + new String(json, StandardCharsets.UTF_8));
            }
            return r;
        } catch (JsonParseException e) {
            throw new IllegalArgumentException("not a label record: " + e.getMessage(), e);
        }
    }
}
