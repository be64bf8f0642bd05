package org.tocomstream.stream;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.api.common.externalresource.ExternalResourceInfo;
import org.apache.flink.api.common.operators.MailboxExecutor;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.operators.StreamOperatorParameters;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.util.function.ThrowingRunnable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tocomstream.compress.CompressionLevel;

/**
 * Batches decoded frames, runs each batch through the model off the task thread and emits one
 * {@link LabelRecord} per frame, in input order. Created by {@link BatchInferenceOperatorFactory}.
 *
 * <h2>Threads</h2>
 *
 * All state lives on the task (mailbox) thread. A batch is handed to a fixed pool of {@link
 * BatchingConfig#maxInFlight()} inference threads owned by this operator; the result, or the
 * failure, comes back as a mail ({@code mailboxExecutor.execute}) and is applied on the task
 * thread. A failure fails the task there, and also from the next {@code processElement}.
 *
 * <h2>Bounded memory and backpressure</h2>
 *
 * At most {@code maxInFlight} batches exist at once (running, or done and waiting for an earlier
 * one so that output stays in order). Cutting another batch first yields to the mailbox until the
 * oldest one is emitted; meanwhile no input is read, so a slow model becomes Flink backpressure
 * rather than a growing queue.
 *
 * <h2>Checkpoints</h2>
 *
 * No frame is buffered or in flight across a checkpoint: {@code prepareSnapshotPreBarrier} cuts
 * the partial batch and yields until every batch is emitted, so the barrier follows all labels of
 * the frames before it and the operator keeps no state. {@code endInput} and {@code finish} do
 * the same. The cost is a short pause per checkpoint of about one batch's inference time.
 *
 * <h2>Time</h2>
 *
 * The max-delay timer, frame ages and the level source's clock use the operator's {@code
 * ProcessingTimeService}; forward-pass durations are measured with {@link System#nanoTime()} on
 * the inference thread.
 *
 * <h2>Load control and shedding</h2>
 *
 * The upstream backlog in the signals is the {@code pendingRecords} of the source subtask with
 * this subtask's index (the source feeds this operator forward, at the same parallelism), read
 * through {@link BacklogBridgeReporter} when that reporter is configured, else unknown.
 *
 * The {@link LevelSource} is asked once per batch, with the {@link LoadSignals} measured here and
 * the batch's frames, and answers one {@link BatchPlan}: the level, the frames to skip, the rung
 * and reason for the gauge and log, and whether to coalesce streams. Skipped frames are not run
 * but keep their place in the output as label records marked {@code skipped}. While the latest
 * plan asks to keep only the newest frame per stream, the next batch is cut once it holds {@code
 * maxBatchSize} different streams or {@value #COALESCE_FACTOR} times that many frames, so memory
 * stays bounded by {@code (maxInFlight + 1) × COALESCE_FACTOR × maxBatchSize} frames.
 *
 * <h2>Watermarks</h2>
 *
 * A watermark is held back until every frame that arrived before it has been emitted, so labels
 * are never late with respect to a watermark this operator forwarded.
 */
final class BatchInferenceOperator extends AbstractStreamOperator<LabelRecord>
        implements OneInputStreamOperator<DecodedFrame, LabelRecord>, BoundedOneInput {

    private static final long serialVersionUID = 1L;

    private static final Logger LOG = LoggerFactory.getLogger(BatchInferenceOperator.class);

    /** How long {@code close()} waits for a running forward pass before giving up on it. */
    private static final long CLOSE_WAIT_SECONDS = 60;

    /** Level changes are logged at INFO at most this often, at DEBUG otherwise. */
    private static final long LEVEL_LOG_INTERVAL_MS = 1000;

    /** While coalescing streams, a batch holds at most this many times maxBatchSize frames. */
    static final int COALESCE_FACTOR = 4;

    /** Per-thread staging array for a batch's pixels, reused when the batch size repeats. */
    private static final ThreadLocal<float[]> BATCH_PIXELS = new ThreadLocal<>();

    private final BatchingConfig batching;
    private final int topK;
    private final PredictorFactory predictorFactory;
    private final LevelSource levelSource;
    private final transient MailboxExecutor mailbox;

    private transient BatchPredictor predictor;
    private transient String modelId;
    private transient List<String> labels;
    private transient int effectiveTopK;
    private transient ExecutorService inferenceThreads;
    private transient InferenceMetrics metrics;
    private transient ArrivalRate arrivals;
    private transient ServiceTimes serviceTimes;
    private transient String jobId;
    private transient int subtaskIndex;

    private transient List<Pending> buffer;
    private transient Set<String> bufferStreams;
    private transient ScheduledFuture<?> timer;
    private transient long timerGeneration;
    private transient Watermark bufferWatermark;
    private transient ArrayDeque<Batch> inFlight;
    private transient int inFlightFrames;
    private transient CompressionLevel currentLevel;
    /** The latest plan's {@link BatchPlan#coalesceStreams()}: it shapes the buffer being filled. */
    private transient boolean coalescing;
    private transient long lastLevelLogMs;
    private transient volatile Exception asyncFailure;

    BatchInferenceOperator(
            StreamOperatorParameters<LabelRecord> parameters,
            BatchingConfig batching,
            int topK,
            PredictorFactory predictorFactory,
            LevelSource levelSource) {
        super(parameters);
        this.batching = batching;
        this.topK = topK;
        this.predictorFactory = predictorFactory;
        this.levelSource = levelSource;
        this.mailbox = parameters.getMailboxExecutor();
    }

    /** A frame waiting in the buffer, with its input record's timestamp. */
    private record Pending(DecodedFrame frame, boolean hasTimestamp, long timestamp) {}

    /** A cut batch; the result fields are set on the task thread when its mail arrives. */
    private static final class Batch {
        final List<Pending> frames;
        /** Per frame, true when it is skipped (not run); null when none is. */
        final boolean[] skipped;
        /** The frames that run, in order. */
        final List<Pending> run;
        final CompressionLevel level;
        final long formedMs;
        Watermark watermarkAfter;
        List<List<LabelRecord.Label>> labels;
        String compensator;
        long inferenceNanos;

        Batch(
                List<Pending> frames,
                boolean[] skipped,
                CompressionLevel level,
                long formedMs,
                Watermark after) {
            this.frames = frames;
            this.skipped = skipped;
            if (skipped == null) {
                this.run = frames;
            } else {
                List<Pending> run = new ArrayList<>(frames.size());
                for (int i = 0; i < frames.size(); i++) {
                    if (!skipped[i]) {
                        run.add(frames.get(i));
                    }
                }
                this.run = run;
            }
            this.level = level;
            this.formedMs = formedMs;
            this.watermarkAfter = after;
        }
    }

    @Override
    public void open() throws Exception {
        super.open();
        int subtask = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
        subtaskIndex = subtask;
        jobId = getRuntimeContext().getJobInfo().getJobId().toString();
        buffer = new ArrayList<>(batching.maxBatchSize());
        bufferStreams = new HashSet<>();
        inFlight = new ArrayDeque<>(batching.maxInFlight());
        arrivals = new ArrivalRate();
        serviceTimes = new ServiceTimes();
        lastLevelLogMs = Long.MIN_VALUE;
        metrics = new InferenceMetrics(getMetricGroup());

        predictor =
                predictorFactory.open(
                        new PredictorContext(
                                subtask, gpuIndices(predictorFactory.gpuResourceName())));
        modelId = predictor.modelId();
        labels = List.copyOf(predictor.labels());
        effectiveTopK = topK;
        if (topK > labels.size()) {
            LOG.warn(
                    "{} = {} but model {} has {} labels; emitting {} per frame",
                    BatchInferenceOperatorFactory.TOP_K,
                    topK,
                    modelId,
                    labels.size(),
                    labels.size());
            effectiveTopK = labels.size();
        }
        levelSource.open(getProcessingTimeService()::getCurrentProcessingTime);
        inferenceThreads =
                Executors.newFixedThreadPool(
                        batching.maxInFlight(),
                        threadFactory(getRuntimeContext().getTaskInfo().getTaskNameWithSubtasks()));
        LOG.info(
                "Batch inference subtask {} open: model {}, {}, top-{}, levels from {}",
                subtask,
                modelId,
                batching,
                effectiveTopK,
                levelSource);
    }

    @Override
    public void processElement(StreamRecord<DecodedFrame> element) throws Exception {
        checkAsyncFailure();
        long now = now();
        metrics.framesIn.inc();
        arrivals.record(now);
        if (buffer.isEmpty()) {
            scheduleTimer(now + batching.maxDelayMs());
        }
        buffer.add(
                new Pending(element.getValue(), element.hasTimestamp(), element.getTimestamp()));
        bufferStreams.add(element.getValue().stream());
        updateGauges();
        if (bufferFull()) {
            flush();
        }
    }

    @Override
    public void processWatermark(Watermark mark) throws Exception {
        if (!buffer.isEmpty()) {
            bufferWatermark = mark;
        } else if (!inFlight.isEmpty()) {
            inFlight.peekLast().watermarkAfter = mark;
        } else {
            output.emitWatermark(mark);
        }
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        super.prepareSnapshotPreBarrier(checkpointId);
        drain();
    }

    @Override
    public void endInput() throws Exception {
        drain();
    }

    @Override
    public void finish() throws Exception {
        drain();
        super.finish();
    }

    @Override
    public void close() throws Exception {
        Exception failure = null;
        boolean threadsStopped = true;
        if (timer != null) {
            timer.cancel(false);
        }
        if (inferenceThreads != null) {
            inferenceThreads.shutdownNow();
            try {
                threadsStopped =
                        inferenceThreads.awaitTermination(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                threadsStopped = false;
            }
        }
        if (predictor != null) {
            if (threadsStopped) {
                try {
                    predictor.close();
                } catch (RuntimeException e) {
                    failure = e;
                }
            } else {
                // Closing the model under a running forward pass could free native memory in use.
                LOG.warn(
                        "An inference thread of {} did not stop within {} s; not releasing model {}",
                        getOperatorName(),
                        CLOSE_WAIT_SECONDS,
                        modelId);
            }
        }
        try {
            levelSource.close();
        } catch (Exception e) {
            failure = addSuppressed(failure, e);
        }
        try {
            super.close();
        } catch (Exception e) {
            failure = addSuppressed(failure, e);
        }
        if (failure != null) {
            throw failure;
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Task thread.

    private long now() {
        return getProcessingTimeService().getCurrentProcessingTime();
    }

    private void scheduleTimer(long at) {
        long generation = ++timerGeneration;
        timer = getProcessingTimeService().registerTimer(at, time -> onTimer(generation));
    }

    private void cancelTimer() {
        timerGeneration++;
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    /** Tolerates stale timers: only the timer of the current buffer flushes it. */
    private void onTimer(long generation) throws Exception {
        if (generation == timerGeneration && !buffer.isEmpty()) {
            flush();
        }
    }

    private boolean bufferFull() {
        int max = batching.maxBatchSize();
        if (coalescing) {
            return bufferStreams.size() >= max || buffer.size() >= COALESCE_FACTOR * max;
        }
        return buffer.size() >= max;
    }

    /**
     * Cuts the buffer into a batch once there is room in flight. While waiting it yields to the
     * mailbox; a timer mail run there may cut the buffer itself, so it is checked again after.
     */
    private void flush() throws Exception {
        while (!buffer.isEmpty() && inFlight.size() >= batching.maxInFlight()) {
            mailbox.yield();
            checkAsyncFailure();
        }
        if (!buffer.isEmpty()) {
            cut();
        }
    }

    /** Cuts the partial batch, then waits until every batch has been emitted. */
    private void drain() throws Exception {
        checkAsyncFailure();
        flush();
        while (!inFlight.isEmpty()) {
            mailbox.yield();
            checkAsyncFailure();
        }
    }

    private void cut() {
        long now = now();
        List<Pending> frames = buffer;
        buffer = new ArrayList<>(batching.maxBatchSize());
        bufferStreams.clear();
        cancelTimer();

        long oldest = Long.MAX_VALUE;
        long newest = Long.MIN_VALUE;
        for (Pending p : frames) {
            oldest = Math.min(oldest, p.frame().captureTs());
            newest = Math.max(newest, p.frame().captureTs());
        }
        // Batches whose labels are in and that the current mail emits right after this cut (see
        // complete) are no longer in flight for the controller.
        int done = labelledAtHead();
        int doneFrames = inFlight.stream().limit(done).mapToInt(b -> b.frames.size()).sum();
        LoadSignals signals =
                new LoadSignals(
                        now,
                        frames.size(),
                        now - oldest,
                        now - newest,
                        frames.size() + inFlightFrames - doneFrames,
                        inFlight.size() - done,
                        arrivals.perSecond(now),
                        currentLevel,
                        serviceTimes.snapshot(),
                        batching.maxInFlight(),
                        BacklogBridgeReporter.pendingRecords(jobId, subtaskIndex));
        metrics.upstreamPendingRecords = signals.upstreamBacklogFrames();
        List<DecodedFrame> decoded = new ArrayList<>(frames.size());
        for (Pending p : frames) {
            decoded.add(p.frame());
        }
        BatchPlan plan = levelSource.plan(signals, decoded);
        if (plan == null) {
            throw new IllegalStateException("level source " + levelSource + " returned no plan");
        }
        boolean[] skipped = skipped(plan, frames);
        CompressionLevel level = plan.level();
        if (!level.equals(currentLevel)) {
            if (currentLevel != null) {
                metrics.levelChanges.inc();
            }
            logLevelChange(now, level, plan.reason());
            currentLevel = level;
            metrics.compressionLevel = level.toString();
            metrics.compressionLevelIndex = plan.rung();
        }
        coalescing = plan.coalesceStreams();
        if (skipped != null) {
            metrics.skippedFrames.inc(plan.skippedCount());
        }

        Batch batch = new Batch(frames, skipped, level, now, bufferWatermark);
        bufferWatermark = null;
        inFlight.addLast(batch);
        inFlightFrames += frames.size();
        updateGauges();
        if (batch.run.isEmpty()) {
            // Nothing to run: the batch only keeps its frames' place in the output order.
            complete(batch, List.of(), null, 0);
        } else {
            metrics.batchSize.update(batch.run.size());
            inferenceThreads.execute(() -> infer(batch));
        }
    }

    /** The plan's skip flags for {@code frames}, or null when none is skipped. */
    private boolean[] skipped(BatchPlan plan, List<Pending> frames) {
        boolean[] skip = plan.skip();
        if (skip.length != 0 && skip.length != frames.size()) {
            throw new IllegalStateException(
                    String.format(
                            "level source %s returned %d skip flags for %d frames",
                            levelSource, skip.length, frames.size()));
        }
        return plan.skippedCount() == 0 ? null : skip;
    }

    private void complete(
            Batch batch, List<List<LabelRecord.Label>> result, String compensator, long nanos) {
        batch.labels = result;
        batch.compensator = compensator;
        batch.inferenceNanos = nanos;
        if (!batch.run.isEmpty()) {
            serviceTimes.record(batch.level, batch.run.size(), nanos);
            metrics.inferenceMs.update(Math.round(nanos / 1e6));
            // The model has room again: a full buffer starts now, before the labels below are
            // emitted, so that the forward pass does not wait for the emission (serialising and
            // handing a batch of labels to the sink took ~4 % of the model's time at batch 8 of a
            // small model). The bound holds at the end of this mail: the batches at the head whose
            // labels are in are emitted below.
            if (bufferFull() && inFlight.size() - labelledAtHead() < batching.maxInFlight()) {
                cut();
            }
        }
        while (!inFlight.isEmpty() && inFlight.peekFirst().labels != null) {
            emit(inFlight.pollFirst());
        }
        updateGauges();
    }

    /**
     * The batches at the head of {@link #inFlight} whose labels are in: only inside {@link
     * #complete}, which emits them before its mail ends, is this ever more than 0.
     */
    private int labelledAtHead() {
        int n = 0;
        for (Batch b : inFlight) {
            if (b.labels == null) {
                break;
            }
            n++;
        }
        return n;
    }

    private void emit(Batch batch) {
        long now = now();
        int n = batch.frames.size();
        int ran = batch.run.size();
        LabelRecord.Level level =
                new LabelRecord.Level(
                        batch.level.methodName(), batch.level.toString(), batch.compensator);
        // Microsecond precision is plenty and keeps the JSON short.
        double inferenceMs = Math.round(batch.inferenceNanos / 1e3) / 1e3;
        int next = 0;
        for (int i = 0; i < n; i++) {
            Pending p = batch.frames.get(i);
            DecodedFrame f = p.frame();
            long age = now - f.captureTs();
            boolean skip = batch.skipped != null && batch.skipped[i];
            LabelRecord label =
                    new LabelRecord(
                            f.stream(),
                            f.seq(),
                            f.captureTs(),
                            skip ? List.of() : batch.labels.get(next++),
                            level,
                            modelId,
                            ran,
                            inferenceMs,
                            age,
                            skip);
            output.collect(
                    p.hasTimestamp()
                            ? new StreamRecord<>(label, p.timestamp())
                            : new StreamRecord<>(label));
            metrics.frameAgeMs.update(age);
        }
        inFlightFrames -= n;
        metrics.framesOut.inc(n);
        if (ran > 0) {
            metrics.batches.inc();
            metrics.batchLatencyMs.update(now - batch.formedMs);
            if (batch.compensator != null) {
                metrics.compensatedBatches.inc();
            }
        }
        if (batch.watermarkAfter != null) {
            output.emitWatermark(batch.watermarkAfter);
        }
    }

    private void updateGauges() {
        metrics.inFlightBatches = inFlight.size();
        metrics.queuedFrames = buffer.size() + inFlightFrames;
    }

    private void checkAsyncFailure() throws Exception {
        Exception failure = asyncFailure;
        if (failure != null) {
            throw failure;
        }
    }

    private void logLevelChange(long now, CompressionLevel level, String reason) {
        if (lastLevelLogMs == Long.MIN_VALUE || now - lastLevelLogMs >= LEVEL_LOG_INTERVAL_MS) {
            LOG.info(
                    "{}: compression level {} -> {} {}",
                    getOperatorName(),
                    currentLevel,
                    level,
                    reason);
            lastLevelLogMs = now;
        } else {
            LOG.debug(
                    "{}: compression level {} -> {} {}",
                    getOperatorName(),
                    currentLevel,
                    level,
                    reason);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Inference threads: read only the batch's inputs, hand results back through the mailbox.

    private void infer(Batch batch) {
        try {
            float[] pixels = stack(batch.run);
            int n = batch.run.size();
            long start = System.nanoTime();
            float[][] logits = predictor.logits(pixels, n, batch.level);
            long nanos = System.nanoTime() - start;
            if (logits.length != n) {
                throw new IllegalStateException(
                        String.format("model returned %d rows for %d frames", logits.length, n));
            }
            List<List<LabelRecord.Label>> result = new ArrayList<>(n);
            for (float[] row : logits) {
                result.add(TopLabels.of(row, labels, effectiveTopK));
            }
            String compensator = predictor.compensator(batch.level);
            post(() -> complete(batch, result, compensator, nanos), "BatchInference#emit");
        } catch (Throwable t) {
            DecodedFrame first = batch.run.get(0).frame();
            InferenceException failure =
                    new InferenceException(
                            String.format(
                                    "inference failed for a batch of %d frames at level %s on"
                                            + " model %s (first frame %s#%d): %s",
                                    batch.run.size(),
                                    batch.level,
                                    modelId,
                                    first.stream(),
                                    first.seq(),
                                    t),
                            t);
            if (asyncFailure == null) {
                asyncFailure = failure;
            }
            post(
                    () -> {
                        throw failure;
                    },
                    "BatchInference#fail");
        }
    }

    private void post(ThrowingRunnable<? extends Exception> action, String description) {
        try {
            mailbox.execute(action, description);
        } catch (RejectedExecutionException e) {
            // The task is shutting down; nothing will read the result.
            LOG.debug("Mailbox closed, dropping {}", description);
        }
    }

    private static float[] stack(List<Pending> frames) {
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
                throw new IllegalArgumentException(
                        String.format(
                                "frame %s#%d has %d values but the batch's first frame has %d:"
                                        + " the decoder's preprocessing and the model disagree",
                                f.stream(), f.seq(), px.length, per));
            }
            System.arraycopy(px, 0, out, i * per, per);
        }
        return out;
    }

    // ---------------------------------------------------------------------------------------------

    private List<String> gpuIndices(String resourceName) {
        List<String> out = new ArrayList<>();
        for (ExternalResourceInfo info : getRuntimeContext().getExternalResourceInfos(resourceName)) {
            info.getProperty("index").ifPresent(out::add);
        }
        out.sort(Comparator.comparingLong(BatchInferenceOperator::indexOrder));
        return out;
    }

    private static long indexOrder(String index) {
        try {
            return Long.parseLong(index.trim());
        } catch (NumberFormatException e) {
            return Long.MAX_VALUE;
        }
    }

    private static ThreadFactory threadFactory(String taskName) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, "inference-" + n.incrementAndGet() + " (" + taskName + ")");
            t.setDaemon(true);
            return t;
        };
    }

    private static Exception addSuppressed(Exception first, Exception next) {
        if (first == null) {
            return next;
        }
        first.addSuppressed(next);
        return first;
    }

    /** This subtask's metrics (tests). */
    InferenceMetrics metrics() {
        return metrics;
    }
}
