package org.tocomstream.job.tocom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tocomstream.compensate.DegreeAxis;
import org.tocomstream.compress.CompressionLevel;

class RungOptionsTest {

    @Test
    void aLadderFileAsTheLadderCommandWritesItGivesEachReachableLevelOnce(@TempDir Path dir) throws IOException {
        // Two targets picked the same level, and the last target was reached by no level.
        Path file = dir.resolve("ladder.json");
        Files.writeString(
                file,
                "{\"rungs\": [{\"target\": 1.0, \"level\": \"none\"}, {\"target\": 1.25, \"level\": \"tome:4\"},"
                        + " {\"target\": 1.5, \"level\": \"tome:4\"}, {\"target\": 2.0, \"level\": \"evit:0.5\"},"
                        + " {\"target\": 3.0, \"level\": null, \"speedup\": 2.1}]}");
        DegreeAxis axis = RungOptions.read(file);
        assertThat(axis)
                .isEqualTo(DegreeAxis.ofLevels(
                        List.of(CompressionLevel.none(), CompressionLevel.tome(4), CompressionLevel.evit(0.5))));
    }

    @Test
    void aRungWithoutALevelIsStillAnError(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("ladder.json");
        Files.writeString(file, "{\"rungs\": [{\"level\": \"none\"}, {\"speedup\": 1.5}]}");
        assertThatThrownBy(() -> RungOptions.read(file)).hasMessageContaining("rungs[1] has no \"level\" text");
    }
}
