package org.tocomstream.model;

import com.sun.jna.Library;
import com.sun.jna.Native;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps libtorch's freed CPU buffers inside the process so the next batch reuses them.
 *
 * <p>Why: libtorch's CPU allocator is plain {@code malloc}/{@code free}. glibc serves large
 * requests (a ViT block's activations are megabytes) with fresh {@code mmap}s and unmaps them on
 * {@code free}, so every batch touches new pages and pays one page fault per 4 KiB. Under
 * (nested) virtualisation each fault costs microseconds: on the 2-core CI machine a DeiT-S batch
 * of 8 took ~10,000 faults per forward. Raising glibc's mmap threshold to its maximum (32 MiB)
 * and its trim threshold keeps those blocks on the heap for reuse, as ONNX Runtime's arena and
 * PyTorch's recommended jemalloc/tcmalloc set-ups do. Resident memory then plateaus at the
 * working set of the largest batch instead of being returned and re-faulted each time.
 *
 * <p>Applied once per JVM when the first model loads; Linux/glibc only (elsewhere it does
 * nothing). Disable with {@code -Dtocomstream.malloc.tune=false}, or set glibc's own
 * {@code MALLOC_MMAP_THRESHOLD_}/{@code MALLOC_TRIM_THRESHOLD_}/{@code MALLOC_TOP_PAD_}
 * environment variables, which this leaves alone.
 */
public final class NativeAllocator {

    /** System property that turns the tuning off when set to {@code false}. */
    public static final String PROPERTY = "tocomstream.malloc.tune";

    private static final Logger LOG = LoggerFactory.getLogger(NativeAllocator.class);

    // glibc <malloc.h>
    private static final int M_TRIM_THRESHOLD = -1;
    private static final int M_TOP_PAD = -2;
    private static final int M_MMAP_THRESHOLD = -3;
    /** glibc's ceiling for M_MMAP_THRESHOLD on 64-bit (HEAP_MAX_SIZE / 2). */
    private static final int MMAP_THRESHOLD = 32 * 1024 * 1024;

    private static final int TRIM_THRESHOLD = 512 * 1024 * 1024;
    /**
     * glibc deletes a per-thread heap (64 MiB, mmapped) as soon as it is empty unless the free
     * space around it exceeds the top pad; with the default pad, a thread that is not the
     * process's main thread (every JVM thread) creates, faults in and unmaps a fresh heap for
     * every large activation. Virtual reservation only: pages are touched when used.
     */
    private static final int TOP_PAD = 256 * 1024 * 1024;

    private static volatile Boolean applied;

    private NativeAllocator() {}

    /** glibc's {@code mallopt}. */
    interface CLib extends Library {
        int mallopt(int param, int value);
    }

    /**
     * Applies the tuning once; later calls return the first outcome.
     *
     * @return whether glibc accepted the settings
     */
    public static synchronized boolean tuneOnce() {
        if (applied == null) {
            applied = tune();
        }
        return applied;
    }

    private static boolean tune() {
        if ("false".equalsIgnoreCase(System.getProperty(PROPERTY))) {
            LOG.info("glibc malloc tuning disabled by -D{}=false", PROPERTY);
            return false;
        }
        if (!System.getProperty("os.name", "")
                        .toLowerCase(java.util.Locale.ROOT)
                        .contains("linux")
                || System.getenv("MALLOC_MMAP_THRESHOLD_") != null
                || System.getenv("MALLOC_TRIM_THRESHOLD_") != null
                || System.getenv("MALLOC_TOP_PAD_") != null) {
            return false;
        }
        try {
            CLib c = Native.load("c", CLib.class);
            boolean ok = c.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
                    && c.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1
                    && c.mallopt(M_TOP_PAD, TOP_PAD) == 1;
            LOG.info(
                    "glibc malloc tuned for tensor reuse (mmap threshold {} MiB, trim threshold {}"
                            + " MiB, top pad {} MiB): {}",
                    MMAP_THRESHOLD >> 20,
                    TRIM_THRESHOLD >> 20,
                    TOP_PAD >> 20,
                    ok ? "ok" : "rejected");
            return ok;
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            // musl or another libc without mallopt: nothing to tune.
            LOG.debug("glibc malloc tuning unavailable: {}", e.toString());
            return false;
        }
    }
}
