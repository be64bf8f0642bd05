package org.tocomstream.stream;

import java.util.Objects;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tocomstream.model.ImagePreprocessor;
import org.tocomstream.model.ModelSpec.PreprocessConfig;

/**
 * Validates each frames-topic record and turns its image into the model's input; a record that
 * cannot be labelled goes to the {@link #DEAD_LETTERS} side output with a one-line reason, a
 * counter increments and the job keeps running.
 *
 * <p>Dead-lettered: no or empty key, a key that is not UTF-8, an empty value, a value above {@link
 * DecodeConfig#maxValueBytes()}, a missing or malformed {@code frame-seq}, a malformed {@code
 * capture-ts} (a missing one falls back to the record timestamp), a {@code content-type} other
 * than {@code image/jpeg} or {@code image/png}, an image above {@link DecodeConfig#maxPixels()}
 * (checked from its header before decoding), a CMYK or YCCK JPEG, an image whose decode would
 * hold more than {@link DecodeConfig#maxDecodedBytes()} even subsampled, and bytes that do not
 * decode. The reason starts with
 * the record's {@code topic-partition@offset}.
 *
 * <p>Preprocessing comes from the model directory ({@code model.json}), so the decoder and the
 * model always agree on the input size and normalisation:
 *
 * <pre>{@code
 * ModelSpec spec = ModelSpec.read(modelDir);
 * SingleOutputStreamOperator<DecodedFrame> frames =
 *         records.process(new FrameDecodeFunction(spec.preprocessing(), DecodeConfig.defaults()))
 *                 .name("decode");
 * DataStream<DeadLetter> dead = frames.getSideOutput(FrameDecodeFunction.DEAD_LETTERS);
 * }</pre>
 *
 * <p>A capture time that looks like epoch seconds or is more than a minute ahead is kept in the
 * frame as sent, but the frame's age is measured from the processing time it was read at ({@link
 * FrameValidator#isTrustedCaptureTime}); such frames are labelled and counted.
 *
 * <p>Metrics, in the operator's group ({@code <operator>.deadLetteredFrames} etc.): {@value
 * #DEAD_LETTERED_FRAMES}, {@value #DECODED_FRAMES} and {@value #UNTRUSTED_CAPTURE_TIMES}
 * counters.
 */
public class FrameDecodeFunction extends ProcessFunction<FrameRecord, DecodedFrame> {

    private static final long serialVersionUID = 1L;

    private static final Logger LOG = LoggerFactory.getLogger(FrameDecodeFunction.class);

    /** Side output of records that cannot be labelled. */
    public static final OutputTag<DeadLetter> DEAD_LETTERS =
            new OutputTag<>("dead-letters", TypeInformation.of(DeadLetter.class));

    /** Counter: records sent to {@link #DEAD_LETTERS}. */
    public static final String DEAD_LETTERED_FRAMES = "deadLetteredFrames";

    /** Counter: frames decoded and passed on. */
    public static final String DECODED_FRAMES = "decodedFrames";

    /**
     * Counter: frames passed on whose capture time is not trusted (epoch seconds, or more than a
     * minute ahead): their age is measured from the time this function read them.
     */
    public static final String UNTRUSTED_CAPTURE_TIMES = "untrustedCaptureTimes";

    /** At most one WARN per this many ms about dead letters; the rest go to DEBUG. */
    private static final long WARN_INTERVAL_MS = 60_000;

    private final PreprocessConfig preprocessing;
    private final DecodeConfig limits;

    private transient FrameValidator validator;
    private transient Counter deadLettered;
    private transient Counter decoded;
    private transient Counter untrustedCaptureTimes;
    private transient long lastWarnMs;
    private transient long deadSinceWarn;

    /**
     * @param preprocessing the model's preprocessing, {@code ModelSpec.preprocessing()}
     * @param limits value, pixel and decoded-byte caps
     */
    public FrameDecodeFunction(PreprocessConfig preprocessing, DecodeConfig limits) {
        this.preprocessing = Objects.requireNonNull(preprocessing, "preprocessing");
        this.limits = Objects.requireNonNull(limits, "limits");
    }

    @Override
    public void open(OpenContext openContext) throws Exception {
        super.open(openContext);
        validator = new FrameValidator(
                new ImagePreprocessor(preprocessing, limits.maxPixels(), limits.maxDecodedBytes()), limits);
        deadLettered = getRuntimeContext().getMetricGroup().counter(DEAD_LETTERED_FRAMES);
        decoded = getRuntimeContext().getMetricGroup().counter(DECODED_FRAMES);
        untrustedCaptureTimes = getRuntimeContext().getMetricGroup().counter(UNTRUSTED_CAPTURE_TIMES);
        lastWarnMs = Long.MIN_VALUE;
    }

    @Override
    public void processElement(FrameRecord record, Context ctx, Collector<DecodedFrame> out) {
        FrameValidator.Outcome outcome =
                validator.validate(record, ctx.timerService().currentProcessingTime());
        if (outcome.frame() != null) {
            decoded.inc();
            if (!outcome.frame().captureTsTrusted()) {
                untrustedCaptureTimes.inc();
            }
            out.collect(outcome.frame());
            return;
        }
        deadLettered.inc();
        ctx.output(DEAD_LETTERS, outcome.deadLetter());
        logDeadLetter(outcome.deadLetter());
    }

    /** The {@value #DEAD_LETTERED_FRAMES} counter (tests). */
    Counter deadLetteredFrames() {
        return deadLettered;
    }

    /** The {@value #UNTRUSTED_CAPTURE_TIMES} counter (tests). */
    Counter untrustedCaptureTimes() {
        return untrustedCaptureTimes;
    }

    /** The {@value #DECODED_FRAMES} counter (tests). */
    Counter decodedFrames() {
        return decoded;
    }

    private void logDeadLetter(DeadLetter dead) {
        deadSinceWarn++;
        // Wall clock for log rate limiting only; nothing else depends on it.
        long now = System.currentTimeMillis();
        if (lastWarnMs == Long.MIN_VALUE || now - lastWarnMs >= WARN_INTERVAL_MS) {
            LOG.warn("{} frame(s) dead-lettered since the last report; latest: {}", deadSinceWarn, dead.reason());
            lastWarnMs = now;
            deadSinceWarn = 0;
        } else {
            LOG.debug("Dead-lettered: {}", dead.reason());
        }
    }
}
