package org.tocomstream.stream;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The {@code skipped} field of the label JSON ({@code src/docs/wire-format.md}). */
class LabelRecordSkippedTest {

    private static final LabelRecord.Level LEVEL = new LabelRecord.Level("tome", "tome:6", null);

    @Test
    void aSkippedRecordRoundTripsWithNoLabels() {
        LabelRecord r = new LabelRecord("cam-1", 7, 1000, List.of(), LEVEL, "m@0", 0, 0, 9000, true);
        String json = new String(r.toJson(), StandardCharsets.UTF_8);
        assertThat(json).contains("\"labels\":[]").endsWith("\"skipped\":true}");
        assertThat(LabelRecord.fromJson(r.toJson())).isEqualTo(r);
    }

    @Test
    void labelledRecordsSayNotSkipped() {
        LabelRecord r = new LabelRecord(
                "cam-1", 7, 1000, List.of(new LabelRecord.Label("red_circle", 0.9)), LEVEL, "m@0", 8, 3.5, 140);
        assertThat(r.skipped()).isFalse();
        assertThat(new String(r.toJson(), StandardCharsets.UTF_8)).endsWith("\"skipped\":false}");
    }

    @Test
    void aRecordWrittenBeforeTheFieldExistedReadsAsNotSkipped() {
        String old = "{\"stream\":\"cam-0\",\"seq\":41,\"captureTs\":1763700000000,"
                + "\"labels\":[{\"label\":\"red_circle\",\"score\":0.97}],"
                + "\"level\":{\"method\":\"tome\",\"schedule\":\"tome:4\",\"compensator\":null},"
                + "\"model\":\"vit_demo@1a2b3c4d\",\"batchSize\":8,\"inferenceMs\":31.5,\"ageMs\":140}";
        assertThat(LabelRecord.fromJson(old.getBytes(StandardCharsets.UTF_8)).skipped())
                .isFalse();
    }
}
