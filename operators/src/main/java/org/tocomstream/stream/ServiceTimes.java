package org.tocomstream.stream;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tocomstream.compress.CompressionLevel;

/**
 * Measured forward-pass time per frame by (level, batch size): an exponentially weighted mean per
 * key. Mailbox thread only. {@link #snapshot()} is rebuilt only after an update, so asking for it
 * per batch costs nothing in steady state.
 */
final class ServiceTimes {

    /** Weight of the newest batch in the mean. */
    static final double ALPHA = 0.2;

    private record Key(CompressionLevel level, int batchSize) {}

    private static final class Stat {
        double msPerFrame;
        long batches;
    }

    private final Map<Key, Stat> stats = new LinkedHashMap<>();
    private List<LoadSignals.ServiceTime> snapshot = List.of();

    void record(CompressionLevel level, int batchSize, long nanos) {
        double msPerFrame = nanos / 1e6 / batchSize;
        Stat s = stats.computeIfAbsent(new Key(level, batchSize), k -> new Stat());
        s.msPerFrame = s.batches == 0 ? msPerFrame : s.msPerFrame + ALPHA * (msPerFrame - s.msPerFrame);
        s.batches++;
        snapshot = null;
    }

    List<LoadSignals.ServiceTime> snapshot() {
        if (snapshot == null) {
            List<LoadSignals.ServiceTime> out = new ArrayList<>(stats.size());
            stats.forEach(
                    (k, s) -> out.add(new LoadSignals.ServiceTime(k.level(), k.batchSize(), s.msPerFrame, s.batches)));
            snapshot = List.copyOf(out);
        }
        return snapshot;
    }
}
