package org.tocomstream.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.testutils.RandomWeights;

/** The per-camera cache's rules ({@code src/docs/reuse.md}, The cache) on the tiny model. */
class ReuseCacheTest {

    private static final VitConfig CFG = VitConfig.preset("vit_test_tiny");
    private static final CompressionLevel LEVEL = CompressionLevel.reuse(0.25);
    private static final int PIXELS = 3 * 32 * 32;

    private static VitModel model;

    @BeforeAll
    static void load() {
        model = VitModel.fromWeights(CFG, RandomWeights.of(CFG, 3), Device.cpu());
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static ReuseCache cache(int maxStreams) {
        return new ReuseCache(new ReuseCacheConfig(maxStreams, 1000, 1.0), model::newReuseState);
    }

    /** Runs a batch: per frame (camera name, seq); camera c's frame t is frame(seed c, t). */
    private static ReuseResult[] run(ReuseCache cache, List<String> streams, long[] seqs, boolean[] skipped) {
        return run(cache, streams, seqs, null, skipped);
    }

    private static ReuseResult[] run(
            ReuseCache cache, List<String> streams, long[] seqs, long[] sizes, boolean[] skipped) {
        ReuseCache.Reservation r = cache.reserve(streams, seqs, sizes, skipped, true);
        List<Integer> running = new ArrayList<>();
        for (int i = 0; i < streams.size(); i++) {
            if (skipped == null || !skipped[i]) {
                running.add(i);
            }
        }
        ReuseResult[] out = new ReuseResult[streams.size()];
        try {
            for (int[] round : r.rounds()) {
                ReuseState[] states = r.prepare(round);
                float[] px = new float[round.length * PIXELS];
                for (int j = 0; j < round.length; j++) {
                    int i = running.get(round[j]);
                    float[] f = ReuseForwardTest.frame(seed(streams.get(i)), (int) seqs[i]);
                    System.arraycopy(f, 0, px, j * PIXELS, PIXELS);
                }
                ReuseResult res = model.logitsReusing(px, new long[] {round.length, 3, 32, 32}, LEVEL, states, 1.0);
                for (int j = 0; j < round.length; j++) {
                    out[running.get(round[j])] = new ReuseResult(
                            new float[][] {res.logits()[j]},
                            new int[] {res.recomputed()[j]},
                            new boolean[] {res.reused()[j]});
                }
            }
        } finally {
            r.release();
        }
        return out;
    }

    private static long seed(String stream) {
        return 100 + stream.hashCode() % 1000;
    }

    private static boolean reused(ReuseResult r) {
        return r.reused()[0];
    }

    @Test
    void consecutiveFramesReuseAndAGapANonReuseLevelOrARefreshComputeInFull() {
        try (ReuseCache cache = new ReuseCache(new ReuseCacheConfig(8, 3, 1.0), model::newReuseState)) {
            assertThat(reused(run(cache, List.of("a"), new long[] {0}, null)[0]))
                    .isFalse();
            assertThat(reused(run(cache, List.of("a"), new long[] {1}, null)[0]))
                    .isTrue();
            assertThat(reused(run(cache, List.of("a"), new long[] {3}, null)[0]))
                    .as("seq 2 lost")
                    .isFalse();
            assertThat(reused(run(cache, List.of("a"), new long[] {4}, null)[0]))
                    .isTrue();
            // Skipped by the controller: seen, not a gap.
            run(cache, List.of("a"), new long[] {5}, new boolean[] {true});
            assertThat(reused(run(cache, List.of("a"), new long[] {6}, null)[0]))
                    .isTrue();
            // Frame 7 runs at a level without reuse: the cache no longer follows the camera.
            cache.reserve(List.of("a"), new long[] {7}, null, false).release();
            assertThat(reused(run(cache, List.of("a"), new long[] {8}, null)[0]))
                    .isFalse();
            assertThat(reused(run(cache, List.of("a"), new long[] {9}, null)[0]))
                    .isTrue();
            assertThat(reused(run(cache, List.of("a"), new long[] {10}, null)[0]))
                    .isTrue();
            assertThat(reused(run(cache, List.of("a"), new long[] {11}, null)[0]))
                    .isTrue();
            assertThat(reused(run(cache, List.of("a"), new long[] {12}, null)[0]))
                    .as("refresh after 3")
                    .isFalse();
            assertThat(cache.counts().gaps()).isEqualTo(2);
            assertThat(cache.counts().refreshes()).isEqualTo(1);
        }
    }

    @Test
    void aCameraWhoseFramesChangeSizeStartsOver() {
        long vga = 640L << 32 | 480;
        long hd = 1280L << 32 | 720;
        try (ReuseCache cache = cache(8)) {
            run(cache, List.of("a"), new long[] {0}, new long[] {vga}, null);
            assertThat(reused(run(cache, List.of("a"), new long[] {1}, new long[] {vga}, null)[0]))
                    .isTrue();
            assertThat(reused(run(cache, List.of("a"), new long[] {2}, new long[] {hd}, null)[0]))
                    .isFalse();
            assertThat(reused(run(cache, List.of("a"), new long[] {3}, new long[] {0}, null)[0]))
                    .as("size unknown: no change seen")
                    .isTrue();
            ReuseResult[] inOneBatch = run(cache, List.of("a", "a"), new long[] {4, 5}, new long[] {hd, vga}, null);
            assertThat(reused(inOneBatch[0])).isTrue();
            assertThat(reused(inOneBatch[1])).isFalse();
        }
    }

    @Test
    void severalFramesOfOneCameraRunInRoundsInOrder() {
        try (ReuseCache cache = cache(8)) {
            ReuseCache.Reservation r =
                    cache.reserve(List.of("a", "b", "a", "a", "b"), new long[] {0, 0, 1, 2, 1}, null, true);
            assertThat(r.rounds()).containsExactly(new int[] {0, 1}, new int[] {2, 4}, new int[] {3});
            r.release();
            ReuseResult[] out = run(cache, List.of("a", "b", "a", "c"), new long[] {3, 2, 4, 0}, null);
            assertThat(reused(out[0])).isFalse(); // the first reservation never ran a frame
            assertThat(reused(out[2])).isTrue();
            assertThat(reused(out[3])).isFalse();
        }
    }

    @Test
    void aCamerasCacheNeverServesAnotherCamera() {
        // Two cameras interleaved through one cache equal each run through its own cache.
        try (ReuseCache shared = cache(8);
                ReuseCache ownA = cache(8);
                ReuseCache ownB = cache(8)) {
            for (int t = 0; t < 12; t++) {
                List<String> order = t % 2 == 0 ? List.of("a", "b") : List.of("b", "a");
                ReuseResult[] both = run(shared, order, new long[] {t, t}, null);
                ReuseResult a = run(ownA, List.of("a"), new long[] {t}, null)[0];
                ReuseResult b = run(ownB, List.of("b"), new long[] {t}, null)[0];
                int ia = order.indexOf("a");
                // Same rows through batched GEMMs: 1e-4 for summation order.
                ReuseForwardTest.assertClose(both[ia].logits()[0], a.logits()[0], 1e-4f);
                ReuseForwardTest.assertClose(both[1 - ia].logits()[0], b.logits()[0], 1e-4f);
            }
        }
    }

    @Test
    void aCameraHeldByABatchInFlightGetsADetachedStateForTheNextBatch() {
        try (ReuseCache cache = cache(8)) {
            run(cache, List.of("a"), new long[] {0}, null);
            ReuseCache.Reservation first = cache.reserve(List.of("a"), new long[] {1}, null, true);
            ReuseResult second = run(cache, List.of("a"), new long[] {2}, null)[0];
            assertThat(reused(second)).isFalse();
            assertThat(cache.counts().detached()).isEqualTo(1);
            first.release();
            assertThat(cache.size()).isEqualTo(1);
        }
    }

    @Test
    void memoryStaysFlatOverTenThousandFramesOfAHundredCamerasWithEviction() {
        int cap = 16;
        try (ReuseCache cache = cache(cap)) {
            int live = -1;
            for (int b = 0; b < 1250; b++) {
                List<String> streams = new ArrayList<>();
                long[] seqs = new long[8];
                for (int j = 0; j < 8; j++) {
                    int cam = (b * 8 + j) % 100;
                    streams.add("cam-" + cam);
                    seqs[j] = (b * 8 + j) / 100;
                }
                run(cache, streams, seqs, null);
                assertThat(cache.size()).isLessThanOrEqualTo(cap);
                if (b == 100) {
                    live = model.liveArrays();
                }
                if (b > 100) {
                    assertThat(model.liveArrays())
                            .as("native arrays after batch %d", b)
                            .isEqualTo(live);
                }
            }
            // Slots double from 4 while the cache fills: never more than twice the cap.
            assertThat(model.reuseSlotCapacity()).isLessThanOrEqualTo(2 * cap);
            assertThat(cache.counts().evictions()).isGreaterThan(9000);
        }
    }

    @Test
    void settingsAreCheckedByName() {
        assertThatThrownBy(() -> new ReuseCacheConfig(0, 1, 0.5)).hasMessageContaining(ReuseCacheConfig.MAX_STREAMS);
        assertThatThrownBy(() -> new ReuseCacheConfig(1, 0, 0.5)).hasMessageContaining(ReuseCacheConfig.REFRESH_FRAMES);
        assertThatThrownBy(() -> new ReuseCacheConfig(1, 1, 0)).hasMessageContaining(ReuseCacheConfig.SCENE_CUT);
    }
}
