package org.tocomstream.stream;

import java.util.List;
import java.util.Objects;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.compress.TokenGeometry;
import org.tocomstream.control.FullQualityLoad;

/** {@link LevelSource#fixed}: one configured level for every batch. */
final class FixedLevelSource implements LevelSource {

    private static final long serialVersionUID = 1L;

    /** The job setting that gives the level. */
    static final String SETTING = "vit.compress.level";

    private final CompressionLevel level;

    FixedLevelSource(CompressionLevel level) {
        this.level = Objects.requireNonNull(level, SETTING + " must be set");
    }

    @Override
    public BatchPlan plan(LoadSignals signals, List<DecodedFrame> batch) {
        // Full quality is the configured level here: the load is the one at that level (NaN until
        // a batch of it was timed; a gauge never fails the batch).
        double ms = signals.bestMsPerFrame(level).orElse(Double.NaN);
        double rate = signals.arrivalRatePerSecond();
        double load = ms > 0 && rate >= 0 && Double.isFinite(ms * rate)
                ? FullQualityLoad.of(rate, ms, signals.maxInFlight(), 0)
                : Double.NaN;
        return new BatchPlan(level, 0, null, "", false, load);
    }

    @Override
    public void requireFits(TokenGeometry geometry, String model) {
        level.misfit(geometry, model).ifPresent(why -> {
            throw new IllegalArgumentException(SETTING + " " + level + " " + why);
        });
    }

    @Override
    public boolean usesStudent() {
        return level.isStudent();
    }

    @Override
    public String toString() {
        return "fixed(" + level + ")";
    }
}
