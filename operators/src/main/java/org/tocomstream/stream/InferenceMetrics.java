package org.tocomstream.stream;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MeterView;
import org.apache.flink.metrics.MetricGroup;

/**
 * Metrics of one batching inference subtask, registered in its operator metric group, i.e. under
 * {@code <host>.taskmanager.<tm>.<job>.<operator name>.<subtask>.<name>} with the default scope
 * formats. Updated per batch on the task thread, except the input counter (per frame).
 *
 * <table>
 *   <caption>Metrics</caption>
 *   <tr><th>name</th><th>kind</th><th>what</th></tr>
 *   <tr><td>{@value #FRAMES_IN}</td><td>counter</td><td>frames received</td></tr>
 *   <tr><td>{@value #FRAMES_IN_RATE}</td><td>meter</td><td>frames received per second</td></tr>
 *   <tr><td>{@value #FRAMES_OUT}</td><td>counter</td><td>labels emitted (one per frame)</td></tr>
 *   <tr><td>{@value #BATCHES}</td><td>counter</td><td>batches run</td></tr>
 *   <tr><td>{@value #BATCH_SIZE}</td><td>histogram</td><td>frames per batch</td></tr>
 *   <tr><td>{@value #BATCH_LATENCY_MS}</td><td>histogram</td><td>batch cut to its labels
 *       emitted, ms (queueing, the forward pass and waiting for earlier batches)</td></tr>
 *   <tr><td>{@value #INFERENCE_MS}</td><td>histogram</td><td>forward-pass wall time per batch,
 *       ms</td></tr>
 *   <tr><td>{@value #FRAME_AGE_MS}</td><td>histogram</td><td>emit time minus capture time per
 *       frame, ms</td></tr>
 *   <tr><td>{@value #FRAME_AGE_P50_MS}, {@value #FRAME_AGE_P99_MS}</td><td>gauges</td><td>median
 *       and 99th percentile of the last {@value #WINDOW} frame ages, ms</td></tr>
 *   <tr><td>{@value #IN_FLIGHT_BATCHES}</td><td>gauge</td><td>batches in the model or awaiting
 *       emission</td></tr>
 *   <tr><td>{@value #QUEUED_FRAMES}</td><td>gauge</td><td>frames accepted and not yet
 *       labelled</td></tr>
 *   <tr><td>{@value #COMPRESSION_LEVEL}</td><td>gauge (text)</td><td>level of the latest batch,
 *       e.g. {@code tome:8}</td></tr>
 *   <tr><td>{@value #COMPRESSION_LEVEL_INDEX}</td><td>gauge</td><td>rung of that level on the
 *       controller's ladder (0 = most accurate; always 0 for a fixed level); -1 before the first
 *       batch</td></tr>
 *   <tr><td>{@value #LEVEL_CHANGES}</td><td>counter</td><td>batches whose level differs from the
 *       previous batch's</td></tr>
 *   <tr><td>{@value #COMPENSATED_BATCHES}</td><td>counter</td><td>batches run with a Token
 *       Compensator pair (their labels carry {@code level.compensator})</td></tr>
 *   <tr><td>{@value #UPSTREAM_PENDING_RECORDS}</td><td>gauge</td><td>the Kafka source's {@code
 *       pendingRecords} as the operator read it when it formed its latest batch (the controller's
 *       upstream-backlog signal); -1 while it is unknown, e.g. without {@link
 *       BacklogBridgeReporter}</td></tr>
 *   <tr><td>{@value #FULL_QUALITY_LOAD}</td><td>gauge</td><td>the fraction of time the model
 *       would be busy if the arriving frames all ran at full quality (the controller's rung 0;
 *       under a fixed level, that level), from the measured time per frame at that rung or,
 *       before it ran, the controller's prediction; above 1 the subtask cannot keep up at full
 *       quality, whatever the level; summed over the subtasks and divided by a target
 *       utilization, the parallelism needed ({@code operations.md}, cost control); NaN before it
 *       is known</td></tr>
 *   <tr><td>{@value #SKIPPED_FRAMES}</td><td>counter</td><td>frames the shedding policy skipped
 *       (each still emitted as a label record marked {@code skipped})</td></tr>
 *   <tr><td>{@value #REUSED_FRAMES}</td><td>counter</td><td>frames at a token-reuse level that
 *       reused their camera's cache</td></tr>
 *   <tr><td>{@value #FULL_REUSE_FRAMES}</td><td>counter</td><td>frames at a token-reuse level
 *       computed in full (new camera, reset, refresh, scene cut)</td></tr>
 *   <tr><td>{@value #RECOMPUTED_TOKENS}</td><td>histogram</td><td>patch tokens each block
 *       recomputed, per frame at a token-reuse level</td></tr>
 *   <tr><td>{@value #DEVICE}</td><td>gauge (text)</td><td>the device of the model instance
 *       this subtask runs on, {@code cpu} or {@code gpuN}, as labels report it; empty when the
 *       predictor does not say</td></tr>
 *   <tr><td>{@value #GPU_INDEX}</td><td>gauge</td><td>N of that {@code gpuN} (the CUDA index on
 *       the TaskManager); -1 on the CPU</td></tr>
 * </table>
 *
 * <p>Dead-lettered frames are counted where they are found, by the decode operator: {@link
 * FrameDecodeFunction#DEAD_LETTERED_FRAMES}.
 */
public final class InferenceMetrics {

    public static final String FRAMES_IN = "framesIn";
    public static final String FRAMES_IN_RATE = "framesInPerSecond";
    public static final String FRAMES_OUT = "framesOut";
    public static final String BATCHES = "batches";
    public static final String BATCH_SIZE = "batchSize";
    public static final String BATCH_LATENCY_MS = "batchLatencyMs";
    public static final String INFERENCE_MS = "inferenceMs";
    public static final String FRAME_AGE_MS = "frameAgeMs";
    public static final String FRAME_AGE_P50_MS = "frameAgeP50Ms";
    public static final String FRAME_AGE_P99_MS = "frameAgeP99Ms";
    public static final String IN_FLIGHT_BATCHES = "inFlightBatches";
    public static final String QUEUED_FRAMES = "queuedFrames";
    public static final String COMPRESSION_LEVEL = "compressionLevel";
    public static final String COMPRESSION_LEVEL_INDEX = "compressionLevelIndex";
    public static final String LEVEL_CHANGES = "levelChanges";
    public static final String SKIPPED_FRAMES = "skippedFrames";
    public static final String COMPENSATED_BATCHES = "compensatedBatches";
    public static final String UPSTREAM_PENDING_RECORDS = "upstreamPendingRecords";
    public static final String FULL_QUALITY_LOAD = "fullQualityLoad";
    public static final String REUSED_FRAMES = "reusedFrames";
    public static final String FULL_REUSE_FRAMES = "fullReuseFrames";
    public static final String RECOMPUTED_TOKENS = "recomputedTokens";
    public static final String DEVICE = "device";
    public static final String GPU_INDEX = "gpuIndex";

    private static final Pattern GPU = Pattern.compile("gpu(\\d+)");

    /** Values each histogram keeps. */
    public static final int WINDOW = 1024;

    final Counter framesIn;
    final Counter framesOut;
    final Counter batches;
    final Counter levelChanges;
    final Counter skippedFrames;
    final Counter compensatedBatches;
    final Counter reusedFrames;
    final Counter fullReuseFrames;
    final WindowHistogram recomputedTokens = new WindowHistogram(WINDOW);
    final WindowHistogram batchSize = new WindowHistogram(WINDOW);
    final WindowHistogram batchLatencyMs = new WindowHistogram(WINDOW);
    final WindowHistogram inferenceMs = new WindowHistogram(WINDOW);
    final WindowHistogram frameAgeMs = new WindowHistogram(WINDOW);

    // Written on the task thread, read by reporter threads.
    volatile int inFlightBatches;
    volatile int queuedFrames;
    volatile String compressionLevel = "";
    volatile int compressionLevelIndex = -1;
    volatile long upstreamPendingRecords = LoadSignals.UNKNOWN;
    volatile double fullQualityLoad = Double.NaN;

    InferenceMetrics(MetricGroup group) {
        this(group, null);
    }

    /** @param device the device the subtask's model runs on ({@link BatchPredictor#device()}), or null */
    InferenceMetrics(MetricGroup group, String device) {
        framesIn = group.counter(FRAMES_IN);
        group.meter(FRAMES_IN_RATE, new MeterView(framesIn));
        framesOut = group.counter(FRAMES_OUT);
        batches = group.counter(BATCHES);
        group.histogram(BATCH_SIZE, batchSize);
        group.histogram(BATCH_LATENCY_MS, batchLatencyMs);
        group.histogram(INFERENCE_MS, inferenceMs);
        group.histogram(FRAME_AGE_MS, frameAgeMs);
        group.gauge(FRAME_AGE_P50_MS, (Gauge<Long>) () -> frameAgeMs.quantile(0.50));
        group.gauge(FRAME_AGE_P99_MS, (Gauge<Long>) () -> frameAgeMs.quantile(0.99));
        group.gauge(IN_FLIGHT_BATCHES, (Gauge<Integer>) () -> inFlightBatches);
        group.gauge(QUEUED_FRAMES, (Gauge<Integer>) () -> queuedFrames);
        group.gauge(COMPRESSION_LEVEL, (Gauge<String>) () -> compressionLevel);
        group.gauge(COMPRESSION_LEVEL_INDEX, (Gauge<Integer>) () -> compressionLevelIndex);
        group.gauge(UPSTREAM_PENDING_RECORDS, (Gauge<Long>) () -> upstreamPendingRecords);
        group.gauge(FULL_QUALITY_LOAD, (Gauge<Double>) () -> fullQualityLoad);
        levelChanges = group.counter(LEVEL_CHANGES);
        skippedFrames = group.counter(SKIPPED_FRAMES);
        compensatedBatches = group.counter(COMPENSATED_BATCHES);
        reusedFrames = group.counter(REUSED_FRAMES);
        fullReuseFrames = group.counter(FULL_REUSE_FRAMES);
        group.histogram(RECOMPUTED_TOKENS, recomputedTokens);
        String name = device == null ? "" : device;
        Matcher gpu = GPU.matcher(name);
        int gpuIndex = gpu.matches() ? Integer.parseInt(gpu.group(1)) : -1;
        group.gauge(DEVICE, (Gauge<String>) () -> name);
        group.gauge(GPU_INDEX, (Gauge<Integer>) () -> gpuIndex);
    }

    /** What a batch's signals and plan publish: the upstream backlog and the full-quality load. */
    void planned(long upstreamBacklogFrames, BatchPlan plan) {
        upstreamPendingRecords = upstreamBacklogFrames;
        fullQualityLoad = plan.fullQualityLoad();
    }
}
