package org.tocomstream.stream;

import java.util.List;
import java.util.Objects;
import org.tocomstream.compress.CompressionLevel;

/** {@link LevelSource#fixed}: one configured level for every batch. */
final class FixedLevelSource implements LevelSource {

    private static final long serialVersionUID = 1L;

    private final CompressionLevel level;

    FixedLevelSource(CompressionLevel level) {
        this.level = Objects.requireNonNull(level, "vit.compress.level must be set");
    }

    @Override
    public BatchPlan plan(LoadSignals signals, List<DecodedFrame> batch) {
        return BatchPlan.of(level);
    }

    @Override
    public String toString() {
        return "fixed(" + level + ")";
    }
}
