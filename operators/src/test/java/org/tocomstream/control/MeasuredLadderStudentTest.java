package org.tocomstream.control;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.compress.CostModel;
import org.tocomstream.model.VitConfig;

/** A measured ladder with a student rung: the student named in the file, older files still read. */
class MeasuredLadderStudentTest {

    private static MeasuredLadder ladder(MeasuredLadder.Student student) {
        LadderSelection.Result r = LadderSelection.select(
                List.of(
                        new LadderSelection.Measured("none", "none", 1.0, 0.9, null, 100),
                        new LadderSelection.Measured("tome:2", "tome", 0.8, 0.88, 0.01, 125),
                        new LadderSelection.Measured("student", "student", 0.2, 0.8, 0.2, 300)),
                List.of(1.2, 2.5));
        return new MeasuredLadder(
                MeasuredLadder.SCHEMA_VERSION,
                "ladder --model m --generator --student s",
                "2026-12-07T00:00:00Z",
                new MeasuredLadder.Machine("cpu", 2, "17"),
                new MeasuredLadder.Model("vit_demo", "ab12"),
                new MeasuredLadder.Data("generator", 24, true),
                8,
                MeasuredLadder.TOP1,
                r.candidates(),
                r.rungs(),
                student);
    }

    @Test
    void theStudentRungAndItsModelRoundTripThroughJson() {
        MeasuredLadder ladder = ladder(new MeasuredLadder.Student("/models/tiny", "vit_demo_tiny@1a2b3c4d"));
        String json = ladder.toJson();
        JsonObject student = JsonParser.parseString(json).getAsJsonObject().getAsJsonObject("student");
        assertThat(student.get("dir").getAsString()).isEqualTo("/models/tiny");
        assertThat(student.get("model").getAsString()).isEqualTo("vit_demo_tiny@1a2b3c4d");

        MeasuredLadder back = MeasuredLadder.fromJson(json);
        assertThat(back).isEqualTo(ladder);
        assertThat(back.levels())
                .containsExactly(CompressionLevel.none(), CompressionLevel.tome(2), CompressionLevel.student());
        CostModel cost = CostModel.of(VitConfig.preset("vit_demo").geometry());
        assertThat(back.ladder(cost).toString()).isEqualTo("none;tome:2;student");
    }

    @Test
    void aFileWrittenBeforeTheStudentFieldReadsWithoutAStudent() {
        MeasuredLadder ladder = ladder(null);
        JsonObject root = JsonParser.parseString(ladder.toJson()).getAsJsonObject();
        assertThat(root.has("student")).isTrue(); // written as null
        root.remove("student");

        MeasuredLadder back = MeasuredLadder.fromJson(root.toString());
        assertThat(back.student()).isNull();
        assertThat(back).isEqualTo(ladder);
    }
}
