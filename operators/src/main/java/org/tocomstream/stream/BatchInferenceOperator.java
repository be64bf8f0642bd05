package org.tocomstream.stream;

import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
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
 * No frame is buffered or in flight across a checkpoint: {@code prepareSnapshotPreBarrier} (and {@code
 * endInput}, {@code finish}) cuts the partial batch and yields until every batch is emitted, so the barrier
 * follows the labels of the frames before it and the operator keeps no state, for a pause of about one batch.
 *
 * <h2>Time</h2>
 *
 * The max-delay timer, frame ages and the clock given to the level source use the operator's
 * {@code ProcessingTimeService} (the adaptive controller's dwells use a monotonic clock, {@link
 * ControllerClock}); forward-pass durations use {@link System#nanoTime()} on the inference thread.
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
 * maxBatchSize} different streams or {@value BatchTrigger#COALESCE_FACTOR} times that many frames,
 * so memory stays bounded by {@code (maxInFlight + 1) × COALESCE_FACTOR × maxBatchSize} frames.
 * No batch runs more than {@code maxBatchSize} frames ({@link BatchTrigger#framesToCut}).
 *
 * <h2>Watermarks</h2>
 *
 * A watermark is held back until every frame that arrived before it has been emitted, so labels
 * are never late with respect to a watermark this operator forwarded.
 *
 * <h2>Parts</h2>
 *
 * This class wires the parts to the mailbox, the timers and the output: the {@link BatchBuffer}
 * with its {@link BatchTrigger} and {@link DeadlineTimer} (when to cut), the {@link InFlightQueue}
 * (cut order, capacity, held watermarks), the {@link BatchPlanner} (signals and the plan), the
 * {@link InferenceThreads} running a {@link BatchRunner} (the forward pass and the mails back) and
 * the {@link BatchEmitter} (label records and their metrics).
 */
final class BatchInferenceOperator extends AbstractStreamOperator<LabelRecord>
        implements OneInputStreamOperator<DecodedFrame, LabelRecord>, BoundedOneInput {

    private static final long serialVersionUID = 1L;

    private static final Logger LOG = LoggerFactory.getLogger(BatchInferenceOperator.class);

    /** How long {@code close()} waits for a running forward pass before giving up on it. */
    private static final long CLOSE_WAIT_SECONDS = 60;

    /** Level changes are logged at INFO at most this often, at DEBUG otherwise. */
    private static final long LEVEL_LOG_INTERVAL_MS = 1000;

    private final BatchingConfig batching;
    private final int topK;
    private final PredictorFactory predictorFactory;
    private final LevelSource levelSource;
    private final transient MailboxExecutor mailbox;

    private transient BatchPredictor predictor;
    private transient String modelId;
    private transient InferenceMetrics metrics;
    private transient String jobId;
    private transient int subtaskIndex;

    private transient BatchTrigger trigger;
    private transient BatchBuffer buffer;
    private transient DeadlineTimer deadline;
    private transient InFlightQueue inFlight;
    private transient BatchPlanner planner;
    private transient InferenceThreads inferenceThreads;
    private transient BatchEmitter emitter;
    private transient long lastLevelLogMs;

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

    @Override
    public void open() throws Exception {
        super.open();
        int subtask = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
        subtaskIndex = subtask;
        jobId = getRuntimeContext().getJobInfo().getJobId().toString();
        trigger = new BatchTrigger(batching);
        buffer = new BatchBuffer(trigger);
        deadline = new DeadlineTimer(getProcessingTimeService(), this::flush);
        inFlight = new InFlightQueue(batching.maxInFlight());
        planner = new BatchPlanner(levelSource, batching.maxInFlight(), batching.maxBatchSize());
        lastLevelLogMs = Long.MIN_VALUE;

        List<String> gpus = DeviceSelection.gpuIndices(
                getRuntimeContext().getExternalResourceInfos(predictorFactory.gpuResourceName()));
        predictor = predictorFactory.open(new PredictorContext(subtask, gpus));
        modelId = predictor.modelId();
        metrics = new InferenceMetrics(getMetricGroup(), predictor.device());
        LevelFit.require(levelSource, predictor);
        List<String> labels = List.copyOf(predictor.labels());
        int effectiveTopK = Math.min(topK, labels.size());
        if (effectiveTopK < topK) {
            LOG.warn(
                    "{} = {} but model {} has {} labels; emitting {} per frame",
                    BatchInferenceOperatorFactory.TOP_K,
                    topK,
                    modelId,
                    labels.size(),
                    labels.size());
        }
        emitter = new BatchEmitter(
                predictor::modelId, predictor.device(), metrics, output::collect, output::emitWatermark);
        levelSource.open(getProcessingTimeService()::getCurrentProcessingTime);
        inferenceThreads = InferenceThreads.start(
                batching.maxInFlight(),
                getRuntimeContext().getTaskInfo().getTaskNameWithSubtasks(),
                new BatchRunner(predictor, labels, effectiveTopK),
                this::post,
                this::complete);
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
        inferenceThreads.checkFailure();
        long now = now();
        metrics.framesIn.inc();
        planner.arrived(now);
        PendingFrame frame = new PendingFrame(element.getValue(), element.hasTimestamp(), element.getTimestamp());
        if (buffer.add(frame)) {
            deadline.start(trigger.deadline(now));
        }
        updateGauges();
        cutWhile(buffer::isFull);
    }

    @Override
    public void processWatermark(Watermark mark) throws Exception {
        if (!buffer.isEmpty()) {
            buffer.holdWatermark(mark);
        } else if (!inFlight.holdWatermark(mark)) {
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
        if (deadline != null) {
            deadline.cancel();
        }
        boolean threadsStopped =
                inferenceThreads == null || inferenceThreads.stop(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS);
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
                        "An inference thread of {} did not stop within {} s; releasing model {} when it ends",
                        getOperatorName(),
                        CLOSE_WAIT_SECONDS,
                        modelId);
                inferenceThreads.whenTerminated(predictor::close);
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

    /** Cuts the whole buffer into batches; nothing when a cut already emptied it. */
    private void flush() throws Exception {
        cutWhile(() -> !buffer.isEmpty());
    }

    /**
     * Cuts batches while {@code more} holds, each once there is room in flight. While waiting it
     * yields to the mailbox; a mail run there may cut the buffer itself, so it is asked again.
     */
    private void cutWhile(BooleanSupplier more) throws Exception {
        while (more.getAsBoolean()) {
            if (inFlight.isFull()) {
                mailbox.yield();
                inferenceThreads.checkFailure();
            } else {
                cut();
            }
        }
    }

    /** Cuts the partial batch, then waits until every batch has been emitted. */
    private void drain() throws Exception {
        inferenceThreads.checkFailure();
        flush();
        while (!inFlight.isEmpty()) {
            mailbox.yield();
            inferenceThreads.checkFailure();
        }
    }

    /**
     * Turns the buffer, or its oldest frames when the plan would run more than {@code
     * maxBatchSize}, into a batch: one plan, then the model or not. The rest keep the deadline.
     */
    private void cut() {
        long now = now();
        List<PendingFrame> waiting = buffer.frames();
        // Batches whose labels are in and that the current mail emits right after this cut (see
        // complete) are no longer in flight for the controller.
        LoadSignals signals = planner.sample(
                now,
                waiting,
                waiting.size() + inFlight.frames() - inFlight.framesLabelledAtHead(),
                inFlight.size() - inFlight.labelledAtHead(),
                BacklogBridgeReporter.pendingRecords(jobId, subtaskIndex));
        BatchPlan whole = planner.plan(signals, waiting);
        metrics.planned(signals.upstreamBacklogFrames(), whole);
        int count = trigger.framesToCut(whole, waiting.size());
        BatchPlan plan = whole.head(count);
        BatchBuffer.Cut cut = buffer.cut(count);
        if (buffer.isEmpty()) {
            deadline.cancel();
        }
        List<PendingFrame> frames = cut.frames();
        if (!plan.level().equals(signals.previousLevel())) {
            onLevelChange(now, signals.previousLevel(), plan);
        }
        buffer.coalesceStreams(plan.coalesceStreams());
        metrics.skippedFrames.inc(plan.skippedCount());

        InferenceBatch batch = new InferenceBatch(frames, plan, now, cut.watermarkAfter(), predictor.reuseCache());
        inFlight.add(batch);
        updateGauges();
        if (batch.run().isEmpty()) {
            // Nothing to run: the batch only keeps its frames' place in the output order.
            complete(batch, InferenceBatch.Result.NOTHING_RAN);
        } else {
            metrics.batchSize.update(batch.run().size());
            inferenceThreads.submit(batch);
        }
    }

    private void complete(InferenceBatch batch, InferenceBatch.Result result) {
        batch.complete(result);
        if (!batch.run().isEmpty()) {
            planner.served(batch.level(), batch.run().size(), result.inferenceNanos());
            metrics.inferenceMs.update(Math.round(result.inferenceNanos() / 1e6));
            // The model has room again: a full buffer starts now, before the labels below are
            // emitted, so that the forward pass does not wait for the emission (serialising and
            // handing a batch of labels to the sink took ~4 % of the model's time at batch 8 of a
            // small model). The bound holds at the end of this mail: the batches at the head whose
            // labels are in are emitted below.
            if (buffer.isFull() && inFlight.hasRoomAfterLabelledHead()) {
                cut();
            }
        }
        InferenceBatch labelled;
        while ((labelled = inFlight.pollLabelled()) != null) {
            emitter.emit(labelled, now());
        }
        updateGauges();
    }

    private void updateGauges() {
        metrics.inFlightBatches = inFlight.size();
        metrics.queuedFrames = buffer.size() + inFlight.frames();
    }

    private void onLevelChange(long now, CompressionLevel previous, BatchPlan plan) {
        if (previous != null) {
            metrics.levelChanges.inc();
        }
        logLevelChange(now, previous, plan);
        metrics.compressionLevel = plan.level().toString();
        metrics.compressionLevelIndex = plan.rung();
    }

    private void logLevelChange(long now, CompressionLevel previous, BatchPlan plan) {
        String format = "{}: compression level {} -> {} {}";
        Object[] args = {getOperatorName(), previous, plan.level(), plan.reason()};
        if (lastLevelLogMs == Long.MIN_VALUE || now - lastLevelLogMs >= LEVEL_LOG_INTERVAL_MS) {
            LOG.info(format, args);
            lastLevelLogMs = now;
        } else {
            LOG.debug(format, args);
        }
    }

    /** Hands a mail to the task thread; drops it when the task is shutting down. */
    private void post(ThrowingRunnable<? extends Exception> action, String description) {
        try {
            mailbox.execute(action, description);
        } catch (RejectedExecutionException e) {
            // The task is shutting down; nothing will read the result.
            LOG.debug("Mailbox closed, dropping {}", description);
        }
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
