package org.tocomstream.stream;

import java.util.List;
import java.util.Objects;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.compress.TokenGeometry;

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
        return BatchPlan.of(level);
    }

    @Override
    public void requireFits(TokenGeometry geometry, String model) {
        level.misfit(geometry, model).ifPresent(why -> {
            throw new IllegalArgumentException(SETTING + " " + level + " " + why);
        });
    }

    @Override
    public String toString() {
        return "fixed(" + level + ")";
    }
}
