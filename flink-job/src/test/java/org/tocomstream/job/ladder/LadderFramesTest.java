package org.tocomstream.job.ladder;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class LadderFramesTest {

    @Test
    void aLimitBelowTheFolderSizeTakesEveryClassInTurn() {
        // Sorted as Files.walk(...).sorted() gives them: all of class a, then b, then c.
        List<Path> files = List.of(
                Path.of("r/a/1.png"),
                Path.of("r/a/2.png"),
                Path.of("r/a/3.png"),
                Path.of("r/b/1.png"),
                Path.of("r/b/2.png"),
                Path.of("r/c/1.png"));
        assertThat(LadderFrames.roundRobinByDirectory(files, 4))
                .containsExactly(
                        Path.of("r/a/1.png"), Path.of("r/b/1.png"), Path.of("r/c/1.png"), Path.of("r/a/2.png"));
        assertThat(LadderFrames.roundRobinByDirectory(files, 100))
                .containsExactly(
                        Path.of("r/a/1.png"),
                        Path.of("r/b/1.png"),
                        Path.of("r/c/1.png"),
                        Path.of("r/a/2.png"),
                        Path.of("r/b/2.png"),
                        Path.of("r/a/3.png"));
    }
}
