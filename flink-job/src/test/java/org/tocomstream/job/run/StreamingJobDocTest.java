package org.tocomstream.job.run;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code src/docs/streaming-job.md} lists every setting with its key and flag. */
class StreamingJobDocTest {

    @Test
    void everyOptionIsDocumented() throws IOException {
        // Surefire runs in the module directory; the docs live at the repository root.
        Path doc = Path.of("..", "src", "docs", "streaming-job.md");
        String text = Files.readString(doc);
        List<JobArgs.Binding> all = new ArrayList<>(JobArgs.JOB);
        all.addAll(JobArgs.DEMO);
        for (JobArgs.Binding b : all) {
            assertThat(text)
                    .as("documented")
                    .contains("`" + b.option().key() + "`")
                    .contains("`" + b.flag());
        }
    }
}
