package org.tocomstream.model;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The per-camera token-reuse cache of one inference subtask ({@code src/docs/reuse.md}): a {@link
 * ReuseState} per stream id. Kept in memory only, never in a checkpoint: a restored job starts
 * empty, so each camera's next frame is computed in full.
 *
 * <p>Every batch the subtask cuts is {@link #reserve reserved} on the task thread, in cut order,
 * whatever its level, and {@link Reservation#release released} when it completes. A camera's
 * state is reset, so its next reused frame is computed in full, when:
 *
 * <ul>
 *   <li>the camera is new, or was evicted (at most {@code maxStreams} cameras, the least recently
 *       used idle one evicted);
 *   <li>a frame's sequence number does not follow the previous frame the subtask saw of that
 *       camera (frames lost or dead-lettered upstream, a replay, a restarted camera). Frames the
 *       load controller skipped were seen and are not a gap: the cache still describes the camera,
 *       only with older references, and the gates pick what moved since;
 *   <li>frames of the camera ran at a level without reuse, so the cache no longer follows them;
 *   <li>the camera's frames changed size (the encoded width or height);
 *   <li>the state has served {@code refreshFrames} frames since its last full frame ({@link
 *       Reservation#prepare}, on the inference thread).
 * </ul>
 *
 * A camera whose state an earlier batch still holds (several batches in flight) gets a state of
 * its own for this batch, dropped at release: its frames start with a full computation and nobody
 * waits. Thread-safe.
 */
public final class ReuseCache implements AutoCloseable {

    /** Why frames started from an empty state, counted since the cache was made. */
    public record Counts(long newStreams, long gaps, long refreshes, long detached, long evictions) {}

    /** The last frame seen of a camera: its sequence number and encoded size (0: unknown). */
    private static class Seen {
        long lastSeq;
        long size;

        /** Whether a frame continues the camera: the next sequence number, the same size if both are known. */
        boolean follows(long seq, long frameSize) {
            return seq == lastSeq + 1 && (size == 0 || frameSize == 0 || size == frameSize);
        }

        void saw(long seq, long frameSize) {
            lastSeq = seq;
            size = frameSize == 0 ? size : frameSize;
        }
    }

    private static final class Entry extends Seen {
        final ReuseState state;
        boolean reserved;
        boolean resetBeforeNext;

        Entry(ReuseState state, long lastSeq, long size) {
            this.state = state;
            this.lastSeq = lastSeq;
            this.size = size;
        }
    }

    private final ReuseCacheConfig config;
    private final Supplier<ReuseState> newState;
    private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);
    private long newStreams;
    private long gaps;
    private long refreshes;
    private long detached;
    private long evictions;
    private boolean closed;

    public ReuseCache(ReuseCacheConfig config, Supplier<ReuseState> newState) {
        this.config = Objects.requireNonNull(config, "config");
        this.newState = Objects.requireNonNull(newState, "newState");
    }

    public ReuseCacheConfig config() {
        return config;
    }

    /**
     * Reserves the cameras of a batch's frames, in order. Frames that run are those not {@code
     * skipped}; when {@code reuse} is false (a level without reuse) they only mark their cameras'
     * caches stale.
     *
     * @param streams each frame's stream id
     * @param seqs each frame's sequence number
     * @param skipped which frames do not run (null: none)
     * @return the states and rounds of the frames that run; empty when {@code reuse} is false
     */
    public synchronized Reservation reserve(List<String> streams, long[] seqs, boolean[] skipped, boolean reuse) {
        return reserve(streams, seqs, null, skipped, reuse);
    }

    /**
     * {@link #reserve(List, long[], boolean[], boolean)} with each frame's encoded size ({@code
     * width << 32 | height}, 0 when unknown): a camera whose frame size changed starts over.
     */
    public synchronized Reservation reserve(
            List<String> streams, long[] seqs, long[] sizes, boolean[] skipped, boolean reuse) {
        if (closed) {
            throw new IllegalStateException("the reuse cache is closed");
        }
        Map<String, Slot> batch = new HashMap<>();
        List<FrameRef> frames = new ArrayList<>();
        for (int i = 0; i < streams.size(); i++) {
            String stream = streams.get(i);
            long seq = seqs[i];
            long size = sizes == null ? 0 : sizes[i];
            boolean runs = skipped == null || !skipped[i];
            Entry e = entries.get(stream);
            if (reuse && runs) {
                Slot slot = batch.get(stream);
                boolean resetFirst = false;
                if (slot == null) {
                    slot = open(stream, e, seq, size);
                    batch.put(stream, slot);
                } else {
                    resetFirst = !slot.follows(seq, size); // a gap or new size between two frames of this batch
                }
                slot.saw(seq, size);
                frames.add(new FrameRef(slot, resetFirst));
                e = entries.get(stream); // the entry open() made, or null for a detached slot of a new camera
            } else if (e != null) {
                e.resetBeforeNext |= !e.follows(seq, size) || runs;
            }
            if (e != null) {
                e.saw(seq, size);
            }
        }
        return new Reservation(this, frames, new ArrayList<>(batch.values()));
    }

    /** The slot of a camera for one batch: the cached state or a detached one. */
    private Slot open(String stream, Entry e, long seq, long size) {
        if (e != null && e.reserved) {
            detached++;
            return new Slot(newState.get(), null);
        }
        if (e == null) {
            if (!makeRoom()) {
                detached++;
                return new Slot(newState.get(), null);
            }
            e = new Entry(newState.get(), seq - 1, size);
            entries.put(stream, e);
            newStreams++;
        } else if (e.resetBeforeNext || !e.follows(seq, size)) {
            gaps += e.state.isFilled() ? 1 : 0;
            e.state.reset();
        }
        e.resetBeforeNext = false;
        e.reserved = true;
        return new Slot(e.state, e);
    }

    /** Evicts least recently used idle cameras until one more fits; false if all are reserved. */
    private boolean makeRoom() {
        Iterator<Map.Entry<String, Entry>> it = entries.entrySet().iterator();
        while (entries.size() >= config.maxStreams() && it.hasNext()) {
            Entry e = it.next().getValue();
            if (!e.reserved) {
                e.state.close();
                it.remove();
                evictions++;
            }
        }
        return entries.size() < config.maxStreams();
    }

    private synchronized void release(List<Slot> slots) {
        for (Slot s : slots) {
            if (s.entry == null) {
                s.state.close();
            } else {
                s.entry.reserved = false;
            }
        }
    }

    private synchronized void countRefresh() {
        refreshes++;
    }

    /** Cameras cached now. */
    public synchronized int size() {
        return entries.size();
    }

    public synchronized Counts counts() {
        return new Counts(newStreams, gaps, refreshes, detached, evictions);
    }

    /**
     * Frees every camera's state. Call it once no forward pass uses them (the operator closes the
     * cache after its inference threads stopped); releases after this do nothing more.
     */
    @Override
    public synchronized void close() {
        closed = true;
        entries.values().forEach(e -> e.state.close());
        entries.clear();
    }

    /** A camera's state for one batch; {@code entry} null for a detached state. */
    private static final class Slot extends Seen {
        final ReuseState state;
        final Entry entry;

        Slot(ReuseState state, Entry entry) {
            this.state = state;
            this.entry = entry;
        }
    }

    /** A frame that runs: its camera's slot, and whether a gap or new size in this batch resets it first. */
    private record FrameRef(Slot slot, boolean resetFirst) {}

    /**
     * The states of one batch's frames that run, and their rounds: round r holds the r-th frame of
     * each camera, so a forward pass never holds two frames of one camera and each camera's frames
     * run in order. Used by one inference thread, then released once.
     */
    public static final class Reservation {
        private final ReuseCache cache;
        private final List<FrameRef> frames;
        private final List<Slot> slots;
        private boolean released;

        private Reservation(ReuseCache cache, List<FrameRef> frames, List<Slot> slots) {
            this.cache = cache;
            this.frames = frames;
            this.slots = slots;
        }

        /** Frame indices (among the frames that run) of each round, in order. */
        public List<int[]> rounds() {
            List<List<Integer>> rounds = new ArrayList<>();
            Map<ReuseState, Integer> seen = new HashMap<>();
            for (int i = 0; i < frames.size(); i++) {
                int r = seen.merge(frames.get(i).slot().state, 1, Integer::sum) - 1;
                if (r == rounds.size()) {
                    rounds.add(new ArrayList<>());
                }
                rounds.get(r).add(i);
            }
            List<int[]> out = new ArrayList<>(rounds.size());
            rounds.forEach(r -> out.add(r.stream().mapToInt(Integer::intValue).toArray()));
            return out;
        }

        /**
         * The states of one round's frames, each reset first after a gap or a change of frame size
         * between frames of this batch, or when it has served {@code refreshFrames} frames since its last full one.
         */
        public ReuseState[] prepare(int[] round) {
            ReuseState[] states = new ReuseState[round.length];
            for (int j = 0; j < round.length; j++) {
                FrameRef f = frames.get(round[j]);
                states[j] = f.slot().state;
                if (f.resetFirst()) {
                    states[j].reset();
                } else if (states[j].isFilled() && states[j].framesSinceFull() >= cache.config.refreshFrames()) {
                    states[j].reset();
                    cache.countRefresh();
                }
            }
            return states;
        }

        /** Frames that run in the cache. */
        public int size() {
            return frames.size();
        }

        /** Hands the cameras back (once; later calls do nothing). */
        public void release() {
            if (!released) {
                released = true;
                cache.release(slots);
            }
        }
    }
}
