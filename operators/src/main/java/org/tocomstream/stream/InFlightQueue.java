package org.tocomstream.stream;

import java.util.ArrayDeque;
import org.apache.flink.streaming.api.watermark.Watermark;

/**
 * The batches cut and not yet emitted, in cut order: running in the model, or labelled and
 * waiting for an earlier batch. Batches complete in any order but leave in cut order, so labels
 * keep the input order; a watermark that arrives while the buffer is empty waits behind the
 * newest batch here and leaves right after its labels. Task thread only.
 *
 * <p>The capacity ({@link BatchingConfig#maxInFlight()}) bounds the batches that are not yet
 * labelled-and-at-the-head. Outside a completion the head is never labelled (the completion emits
 * it), so it bounds all of them; inside one, the operator may cut the next batch before it emits
 * the labelled head, so that the model does not wait for the emission.
 *
 * <pre>{@code
 * while (queue.isFull()) {
 *     mailbox.yield();
 * }
 * queue.add(batch);
 * // later, in the batch's completion mail:
 * batch.complete(result);
 * for (InferenceBatch b; (b = queue.pollLabelled()) != null; ) {
 *     emit(b);
 * }
 * }</pre>
 */
final class InFlightQueue {

    private final int capacity;
    private final ArrayDeque<InferenceBatch> batches;
    private int frames;

    InFlightQueue(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be >= 1 but was " + capacity);
        }
        this.capacity = capacity;
        this.batches = new ArrayDeque<>(capacity);
    }

    /** Batches in the queue. */
    int size() {
        return batches.size();
    }

    boolean isEmpty() {
        return batches.isEmpty();
    }

    /** Frames of the batches in the queue, skipped ones included. */
    int frames() {
        return frames;
    }

    /** Whether {@code capacity} batches are in the queue: another must wait. */
    boolean isFull() {
        return batches.size() >= capacity;
    }

    /**
     * Whether another batch fits once the labelled batches at the head are emitted: inside a
     * completion, which emits them before its mail ends.
     */
    boolean hasRoomAfterLabelledHead() {
        return batches.size() - labelledAtHead() < capacity;
    }

    /**
     * Appends a cut batch.
     *
     * @throws IllegalStateException when it does not fit, even after the labelled head
     */
    void add(InferenceBatch batch) {
        if (!hasRoomAfterLabelledHead()) {
            throw new IllegalStateException(
                    String.format("%d batches in flight, capacity %d", batches.size(), capacity));
        }
        batches.addLast(batch);
        frames += batch.frames().size();
    }

    /**
     * Holds {@code mark} behind the newest batch.
     *
     * @return false when the queue is empty: nothing holds the watermark back
     */
    boolean holdWatermark(Watermark mark) {
        if (batches.isEmpty()) {
            return false;
        }
        batches.peekLast().holdWatermark(mark);
        return true;
    }

    /**
     * The batches at the head whose labels are in: only inside a completion, which emits them
     * before its mail ends, is this ever more than 0.
     */
    int labelledAtHead() {
        int n = 0;
        for (InferenceBatch b : batches) {
            if (!b.isLabelled()) {
                break;
            }
            n++;
        }
        return n;
    }

    /** The frames of the batches {@link #labelledAtHead()} counts. */
    int framesLabelledAtHead() {
        int n = 0;
        for (InferenceBatch b : batches) {
            if (!b.isLabelled()) {
                break;
            }
            n += b.frames().size();
        }
        return n;
    }

    /** Removes and returns the head if its labels are in, else returns null. */
    InferenceBatch pollLabelled() {
        InferenceBatch head = batches.peekFirst();
        if (head == null || !head.isLabelled()) {
            return null;
        }
        batches.pollFirst();
        frames -= head.frames().size();
        return head;
    }
}
