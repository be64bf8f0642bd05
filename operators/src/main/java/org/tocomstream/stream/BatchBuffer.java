package org.tocomstream.stream;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.apache.flink.streaming.api.watermark.Watermark;

/**
 * The frames waiting to become the next batch, in arrival order, with the streams they come from
 * and the watermark that arrived after them. Its {@link BatchTrigger} says when it is full; the
 * operator cuts it then, on its deadline timer, before a checkpoint barrier and at end of input.
 * Task thread only.
 *
 * <p>A watermark that arrives while frames wait here is held by the buffer and leaves with the
 * batch (a later one replaces it), so it is emitted after those frames' labels.
 *
 * <p>A cut may take only the oldest frames ({@link #cut(int)}): the rest stay, in order, with the
 * held watermark, and are the start of the next batch. The operator does so when a plan would run
 * more than {@code maxBatchSize} frames, which happens when coalescing ends with a buffer that
 * filled up to {@value BatchTrigger#COALESCE_FACTOR} times that many.
 *
 * <pre>{@code
 * if (buffer.add(frame)) {
 *     scheduleTimer(trigger.deadline(now));  // the first frame of a new batch
 * }
 * if (buffer.isFull()) {
 *     BatchBuffer.Cut cut = buffer.cut();
 * }
 * }</pre>
 */
final class BatchBuffer {

    /** A cut batch: its frames in arrival order and the watermark to emit after their labels. */
    record Cut(List<PendingFrame> frames, Watermark watermarkAfter) {}

    private final BatchTrigger trigger;
    private final Set<String> streams = new HashSet<>();
    private List<PendingFrame> frames;
    private Watermark watermark;
    private boolean coalescing;

    BatchBuffer(BatchTrigger trigger) {
        this.trigger = Objects.requireNonNull(trigger, "trigger");
        this.frames = new ArrayList<>(trigger.maxBatchSize());
    }

    /**
     * Adds a frame.
     *
     * @return true when it is the first frame of the buffer: the caller starts its deadline
     */
    boolean add(PendingFrame frame) {
        boolean first = frames.isEmpty();
        frames.add(frame);
        streams.add(frame.frame().stream());
        return first;
    }

    boolean isEmpty() {
        return frames.isEmpty();
    }

    int size() {
        return frames.size();
    }

    /** Whether the trigger says the buffer is full, under the latest coalescing answer. */
    boolean isFull() {
        return trigger.isFull(frames.size(), streams.size(), coalescing);
    }

    /**
     * Applies the latest plan's {@link BatchPlan#coalesceStreams()}: it holds for this buffer and
     * the following ones until the next plan.
     */
    void coalesceStreams(boolean on) {
        coalescing = on;
    }

    /** Holds {@code mark} until the buffer is cut; a later watermark replaces it. */
    void holdWatermark(Watermark mark) {
        if (frames.isEmpty()) {
            throw new IllegalStateException("an empty buffer holds no watermark: emit it");
        }
        watermark = mark;
    }

    /** The waiting frames in arrival order, read-only; valid until the next change. */
    List<PendingFrame> frames() {
        return Collections.unmodifiableList(frames);
    }

    /** Takes the frames and the held watermark out; the buffer is then empty. */
    Cut cut() {
        return cut(frames.size());
    }

    /**
     * Takes the {@code count} oldest frames out. When frames remain, they keep the held watermark
     * (it arrived after them) and the buffer's streams are theirs.
     *
     * @throws IllegalStateException when the buffer is empty
     * @throws IllegalArgumentException when {@code count} is not in 1..{@link #size()}
     */
    Cut cut(int count) {
        if (frames.isEmpty()) {
            throw new IllegalStateException("cut of an empty buffer");
        }
        if (count < 1 || count > frames.size()) {
            throw new IllegalArgumentException(
                    String.format("a cut takes 1 to %d frames but was asked for %d", frames.size(), count));
        }
        if (count == frames.size()) {
            Cut cut = new Cut(frames, watermark);
            frames = new ArrayList<>(trigger.maxBatchSize());
            streams.clear();
            watermark = null;
            return cut;
        }
        List<PendingFrame> taken = new ArrayList<>(frames.subList(0, count));
        frames = new ArrayList<>(frames.subList(count, frames.size()));
        streams.clear();
        for (PendingFrame p : frames) {
            streams.add(p.frame().stream());
        }
        return new Cut(taken, null);
    }
}
