package org.tocomstream.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.tocomstream.stream.testutils.Frames.frame;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.stream.testutils.TestingPredictor;

/** The work of an inference thread, on the test's thread, with the canned-logits predictor. */
class BatchRunnerTest {

    private static InferenceBatch batch(BatchPlan plan, DecodedFrame... frames) {
        List<PendingFrame> list = new ArrayList<>();
        for (DecodedFrame f : frames) {
            list.add(new PendingFrame(f, false, 0));
        }
        return new InferenceBatch(list, plan, 1000, null);
    }

    @Test
    void runsTheFramesThatRunAtTheBatchsLevelAndKeepsTheTopLabels() throws Exception {
        TestingPredictor predictor = TestingPredictor.simple();
        BatchRunner runner = new BatchRunner(predictor, predictor.labels(), 2);
        InferenceBatch batch = batch(
                new BatchPlan(CompressionLevel.tome(4), 2, new boolean[] {false, true, false}, "", false),
                frame("a", 0, 900, 3),
                frame("a", 1, 900, 1),
                frame("a", 2, 900, 2));

        InferenceBatch.Result result = runner.run(batch);

        assertThat(predictor.calls()).singleElement().satisfies(c -> {
            assertThat(c.batchSize()).isEqualTo(2);
            assertThat(c.level()).isEqualTo(CompressionLevel.tome(4));
        });
        assertThat(result.labels()).hasSize(2).allSatisfy(l -> assertThat(l).hasSize(2));
        assertThat(result.labels()).extracting(l -> l.get(0).label()).containsExactly("class_3", "class_2");
        assertThat(result.compensator()).isNull();
        assertThat(result.inferenceNanos()).isNotNegative();
    }

    @Test
    void aModelFailureNamesTheBatchLevelModelAndFirstFrame() {
        TestingPredictor predictor = new TestingPredictor(4, 4, (i, px, n, level) -> {
            throw new IllegalStateException("boom");
        });
        BatchRunner runner = new BatchRunner(predictor, predictor.labels(), 3);

        assertThatThrownBy(() -> runner.run(batch(
                        BatchPlan.of(CompressionLevel.none()), frame("cam-1", 9, 900, 0), frame("cam-1", 10, 900, 0))))
                .isInstanceOf(InferenceException.class)
                .hasMessageContaining("batch of 2 frames at level none")
                .hasMessageContaining("model testing@00000000")
                .hasMessageContaining("first frame cam-1#9")
                .hasRootCauseMessage("boom");
    }

    @Test
    void framesOfDifferentSizesAreRefusedBeforeTheModelRuns() {
        TestingPredictor predictor = TestingPredictor.simple();
        BatchRunner runner = new BatchRunner(predictor, predictor.labels(), 3);
        DecodedFrame odd = new DecodedFrame("b", 4, 900, new float[3]);

        assertThatThrownBy(() -> runner.run(batch(BatchPlan.of(CompressionLevel.none()), frame("a", 0, 900, 1), odd)))
                .isInstanceOf(InferenceException.class)
                .hasRootCauseMessage("frame b#4 has 3 values but the batch's first frame has 4: the decoder's"
                        + " preprocessing and the model disagree");
        assertThat(predictor.calls()).isEmpty();
    }

    @Test
    void stackingPutsTheFramesBackToBack() {
        float[] stacked = BatchRunner.stack(List.of(
                new PendingFrame(new DecodedFrame("a", 0, 0, new float[] {1, 2}), false, 0),
                new PendingFrame(new DecodedFrame("a", 1, 0, new float[] {3, 4}), false, 0)));
        assertThat(stacked).containsExactly(1, 2, 3, 4);
    }
}
