package org.tocomstream.stream;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The {@code device} field of the label JSON ({@code src/docs/wire-format.md}). */
class LabelRecordDeviceTest {

    private static final LabelRecord.Level LEVEL = new LabelRecord.Level("none", "none", null);
    private static final List<LabelRecord.Label> TOP = List.of(new LabelRecord.Label("car", 0.9));

    @Test
    void aRecordNamesTheDeviceThatServedItAndRoundTrips() {
        LabelRecord r = new LabelRecord("cam-1", 7, 1000, TOP, LEVEL, "m@0", 8, 3.5, 140, false, null, "gpu1");
        String json = new String(r.toJson(), StandardCharsets.UTF_8);
        assertThat(json).endsWith("\"skipped\":false,\"device\":\"gpu1\"}").doesNotContain("reuse");
        assertThat(LabelRecord.fromJson(r.toJson())).isEqualTo(r);
    }

    @Test
    void withoutADeviceTheFieldIsAbsent() {
        LabelRecord r = new LabelRecord("cam-1", 7, 1000, TOP, LEVEL, "m@0", 8, 3.5, 140);
        assertThat(new String(r.toJson(), StandardCharsets.UTF_8)).doesNotContain("device");
        assertThat(LabelRecord.fromJson(r.toJson())).isEqualTo(r);
    }

    @Test
    void aRecordWrittenBeforeTheFieldExistedReadsWithoutADevice() {
        String old = "{\"stream\":\"cam-0\",\"seq\":41,\"captureTs\":1763700000000,"
                + "\"labels\":[{\"label\":\"car\",\"score\":0.97}],"
                + "\"level\":{\"method\":\"none\",\"schedule\":\"none\",\"compensator\":null},"
                + "\"model\":\"vit_demo@1a2b3c4d\",\"batchSize\":8,\"inferenceMs\":31.5,\"ageMs\":140,"
                + "\"skipped\":false}";
        assertThat(LabelRecord.fromJson(old.getBytes(StandardCharsets.UTF_8)).device())
                .isNull();
    }
}
