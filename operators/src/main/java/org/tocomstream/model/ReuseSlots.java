package org.tocomstream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The native storage of every {@link ReuseState} of one model: per block three tensors with one
 * slot per stream, {@code kv} (S, N, 3D), {@code attn} (S, N, D) and {@code mlp} (S, N, 2D); once a
 * pass runs in the accumulate mode ({@link ReuseAccumulate}), five more for every slot: {@code q}
 * (S, N, D), {@code logitsT} and {@code weightsT} (S, H, N, N), {@code av} (S, H, N, d) and {@code
 * projRef} (S, N, D). A
 * batch reads its streams' slots with one index-select per tensor and writes back only the rows
 * it recomputed, in place, so a frame copies its stream's cache once instead of stacking and
 * splitting it. Capacity doubles when every slot is taken (the old slots are copied over) and
 * never shrinks; freed slots are reused. The operator's cache caps the streams, which caps this.
 *
 * <p>Threads: forward passes hold the read lock while they use the tensors (several may run,
 * on different slots); taking a slot may grow the tensors and holds the write lock.
 */
final class ReuseSlots {

    private static final int FIRST_CAPACITY = 4;

    private final NDManager parent;
    private final VitConfig cfg;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final Deque<Integer> free = new ArrayDeque<>();
    private NDManager storage;
    private NDArray[] kv;
    private NDArray[] attn;
    private NDArray[] mlp;
    /** The accumulate mode's tensors, [kind][block] in the order of {@link Acc}; null until enabled. */
    private NDArray[][] acc;

    private int capacity;

    /** The accumulate mode's per-block tensors. */
    enum Acc {
        Q,
        LOGITS_T,
        WEIGHTS_T,
        AV,
        PROJ_REF
    }

    ReuseSlots(NDManager parent, VitConfig cfg) {
        this.parent = parent;
        this.cfg = cfg;
    }

    /** A free slot, growing the storage if there is none. */
    int acquire() {
        lock.writeLock().lock();
        try {
            if (free.isEmpty()) {
                grow(capacity == 0 ? FIRST_CAPACITY : 2 * capacity);
            }
            return free.pop();
        } finally {
            lock.writeLock().unlock();
        }
    }

    void release(int slot) {
        lock.writeLock().lock();
        try {
            free.push(slot);
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Slots allocated (used or free). */
    int capacity() {
        lock.readLock().lock();
        try {
            return capacity;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Allocates the accumulate mode's tensors for every slot, once (they stay until closed). */
    void enableAccumulate() {
        lock.writeLock().lock();
        try {
            if (acc == null) {
                acc = new NDArray[Acc.values().length][];
                if (capacity > 0) {
                    grownAcc(storage, capacity);
                }
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Whether the accumulate mode's tensors exist. */
    boolean accumulates() {
        return acc != null;
    }

    /** Block {@code l}'s accumulate-mode tensor of a kind (only after {@link #enableAccumulate}). */
    NDArray acc(Acc kind, int block) {
        return acc[kind.ordinal()][block];
    }

    ReentrantReadWriteLock.ReadLock readLock() {
        return lock.readLock();
    }

    NDArray kv(int block) {
        return kv[block];
    }

    NDArray attn(int block) {
        return attn[block];
    }

    NDArray mlp(int block) {
        return mlp[block];
    }

    private void grow(int newCapacity) {
        NDManager next = parent.newSubManager();
        next.setName("reuse-slots");
        int depth = cfg.depth();
        NDArray[] newKv = new NDArray[depth];
        NDArray[] newAttn = new NDArray[depth];
        NDArray[] newMlp = new NDArray[depth];
        long n = cfg.numTokens();
        long d = cfg.attendedDim(); // the blocks' width
        for (int l = 0; l < depth; l++) {
            newKv[l] = grown(next, kv == null ? null : kv[l], new Shape(newCapacity, n, 3 * d));
            newAttn[l] = grown(next, attn == null ? null : attn[l], new Shape(newCapacity, n, d));
            newMlp[l] = grown(next, mlp == null ? null : mlp[l], new Shape(newCapacity, n, 2 * d));
        }
        if (acc != null) {
            grownAcc(next, newCapacity);
        }
        if (storage != null) {
            storage.close();
        }
        storage = next;
        kv = newKv;
        attn = newAttn;
        mlp = newMlp;
        for (int s = newCapacity - 1; s >= capacity; s--) {
            free.push(s);
        }
        capacity = newCapacity;
    }

    /** Grows (or first allocates) the accumulate tensors in {@code manager} to {@code newCapacity}. */
    private void grownAcc(NDManager manager, int newCapacity) {
        long n = cfg.numTokens();
        long d = cfg.attendedDim(); // the blocks' width
        long h = cfg.numHeads();
        Shape[] shapes = {
            new Shape(newCapacity, n, d),
            new Shape(newCapacity, h, n, n),
            new Shape(newCapacity, h, n, n),
            new Shape(newCapacity, h, n, cfg.headDim()),
            new Shape(newCapacity, n, d)
        };
        for (int kind = 0; kind < shapes.length; kind++) {
            NDArray[] next = new NDArray[cfg.depth()];
            for (int l = 0; l < next.length; l++) {
                NDArray[] old = acc[kind];
                next[l] = grown(manager, old == null ? null : old[l], shapes[kind]);
            }
            acc[kind] = next;
        }
    }

    private NDArray grown(NDManager manager, NDArray old, Shape shape) {
        NDArray a = manager.zeros(shape);
        if (old != null) {
            a.set(new NDIndex("0:" + capacity), old);
        }
        return a;
    }
}
