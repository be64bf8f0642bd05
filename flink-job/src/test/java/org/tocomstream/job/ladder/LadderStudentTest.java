package org.tocomstream.job.ladder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.tocomstream.job.testutils.CommandLines.run;

import ai.djl.Device;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tocomstream.compensate.TokenCompensator;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.compress.CostModel;
import org.tocomstream.control.MeasuredLadder;
import org.tocomstream.job.cli.Cli;
import org.tocomstream.job.testutils.CommandLines.Result;
import org.tocomstream.job.testutils.SceneFolders;
import org.tocomstream.job.testutils.TestModels;
import org.tocomstream.model.ImagePreprocessor;
import org.tocomstream.model.ModelSpec;
import org.tocomstream.model.Safetensors;
import org.tocomstream.model.VitConfig;
import org.tocomstream.model.VitInit;
import org.tocomstream.model.VitModel;

/**
 * {@code ladder --student}: a model trained by {@code train} in a few steps and a 2-block student
 * with its labels and preprocessing (random weights: the test checks how the student is measured,
 * not how good it is).
 */
class LadderStudentTest {

    @TempDir
    static Path tmp;

    static Path model;
    static Path student;

    @BeforeAll
    static void trainATinyModelAndWriteAStudent() throws IOException {
        model = tmp.resolve("tiny");
        Result r = run(TestModels.tinyTrainRun(model));
        assertThat(r.status()).as(r.err()).isZero();
        ModelSpec spec = ModelSpec.read(model);
        student = write(tmp.resolve("student"), spec.labels(), 32, spec);
    }

    /** A 2-block student of {@code size} px with {@code labels} and, at 32 px, the model's preprocessing. */
    private static Path write(Path dir, List<String> labels, int size, ModelSpec teacher) throws IOException {
        VitConfig cfg = new VitConfig("vit_test_student", size, 4, 3, labels.size(), 24, 2, 3, 4.0, true, false, 1e-6);
        ModelSpec spec = ModelSpec.of(cfg, labels);
        if (size == teacher.architecture().imageSize()) {
            spec = spec.withPreprocessing(teacher.preprocessing());
        }
        spec.write(dir);
        Safetensors.write(spec.weightsPath(dir), VitInit.truncatedNormal(cfg, 7), Map.of());
        return dir;
    }

    private static Result ladder(String... more) {
        List<String> args = new ArrayList<>(List.of(
                "ladder",
                "--model",
                model.toString(),
                "--size",
                "8",
                "--batch",
                "8",
                "--rounds",
                "1",
                "--timing-frames",
                "8",
                "--rungs",
                "1.1,50"));
        args.addAll(List.of(more));
        return run(args.toArray(String[]::new));
    }

    @Test
    void theStudentIsMeasuredAsACandidateAndNamedInTheFile() throws IOException {
        Path images = SceneFolders.write(tmp.resolve("images"), 2, 3);
        Path out = tmp.resolve("out/l.json");
        Files.createDirectories(out.getParent());
        Result r = ladder(
                "--families",
                "tome",
                "--images",
                images.toString(),
                "--student",
                student.toString(),
                "--out",
                out.toString(),
                "--plot",
                tmp.resolve("out/l.png").toString());

        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.err()).contains("ladder: candidate student: vit_test_student@");
        assertThat(r.out()).containsPattern("(?m)^student +student ");
        MeasuredLadder ladder = MeasuredLadder.read(out);
        assertThat(ladder.metric()).isEqualTo(MeasuredLadder.AGREEMENT);
        List<MeasuredLadder.Candidate> candidates = ladder.candidates();
        MeasuredLadder.Candidate last = candidates.get(candidates.size() - 1);
        assertThat(last.level()).isEqualTo("student");
        assertThat(last.family()).isEqualTo("student");
        assertThat(last.quality()).isBetween(0.0, 1.0);
        assertThat(last.kl()).isGreaterThanOrEqualTo(0.0);
        assertThat(last.framesPerSecond()).isPositive();
        assertThat(last.speedup()).isPositive();
        assertThat(candidates).extracting(MeasuredLadder.Candidate::family).contains("none", "tome");
        // Costed as the student's own plain forward pass.
        CostModel cost = CostModel.of(ModelSpec.read(model).architecture().geometry())
                .withStudent(ModelSpec.read(student).architecture().geometry());
        assertThat(last.relativeMacs())
                .isCloseTo(
                        (double) cost.macs(CompressionLevel.student()) / cost.macs(CompressionLevel.none()),
                        org.assertj.core.data.Offset.offset(1e-12));
        assertThat(ladder.student().dir()).isEqualTo(student.toString());
        assertThat(ladder.student().model())
                .isEqualTo("vit_test_student@"
                        + TokenCompensator.weightsSha256(student).substring(0, 8));
        JsonObject root = JsonParser.parseString(Files.readString(out)).getAsJsonObject();
        assertThat(root.getAsJsonObject("student").get("dir").getAsString()).isEqualTo(student.toString());
    }

    @Test
    void familiesStudentMeasuresNoneAndTheStudentOnly() throws IOException {
        Path out = tmp.resolve("only/l.json");
        Files.createDirectories(out.getParent());
        Result r = ladder(
                "--generator",
                "--families",
                "student",
                "--student",
                student.toString(),
                "--out",
                out.toString(),
                "--plot",
                tmp.resolve("only/l.png").toString());

        assertThat(r.status()).as(r.err()).isZero();
        MeasuredLadder ladder = MeasuredLadder.read(out);
        assertThat(ladder.candidates())
                .extracting(MeasuredLadder.Candidate::level)
                .containsExactly("none", "student");
        assertThat(ladder.metric()).isEqualTo(MeasuredLadder.TOP1);
    }

    @Test
    void aStudentThatCannotStandInIsRefusedNamingTheOption() throws IOException {
        List<String> labels = new ArrayList<>(ModelSpec.read(model).labels());
        java.util.Collections.reverse(labels);
        Path otherLabels = write(tmp.resolve("other-labels"), labels, 32, ModelSpec.read(model));
        Path otherSize = write(tmp.resolve("other-size"), ModelSpec.read(model).labels(), 64, ModelSpec.read(model));

        failed(ladder("--generator", "--student", otherLabels.toString()), "--student " + otherLabels, "labels");
        failed(ladder("--generator", "--student", otherSize.toString()), "--student " + otherSize, "preprocessing");
        Path missing = tmp.resolve("missing");
        failed(ladder("--generator", "--student", missing.toString()), "--student " + missing, "no such");
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        failed(ladder("--generator", "--student", empty.toString()), "--student " + empty, "cannot load the student");
        Result noStudent = ladder("--generator", "--families", "tome,student");
        assertThat(noStudent.status()).as(noStudent.err()).isEqualTo(Cli.USAGE);
        assertThat(noStudent.err()).contains("--families", "student needs --student DIR");
    }

    private static void failed(Result r, String... parts) {
        assertThat(r.status()).as(r.err()).isEqualTo(Cli.FAILED);
        assertThat(r.err()).contains(parts);
    }

    @Test
    void theStudentsAgreementIsTheShareOfFramesWhereItsTop1IsTheModels() throws Exception {
        Path images = SceneFolders.write(tmp.resolve("agree"), 4, 2);
        try (VitModel m = VitModel.load(model, Device.cpu());
                VitModel s = VitModel.load(student, Device.cpu())) {
            LadderFrames frames = LadderFrames.folder(images, m.spec().labels(), 8);
            ImagePreprocessor pre = new ImagePreprocessor(m.spec().preprocessing());
            PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
            LadderMeasurement.Quality q = new LadderMeasurement(m, s, pre, 8, quiet)
                    .quality(frames, List.of(CompressionLevel.none(), CompressionLevel.student()));

            // The same 8 frames in one batch of 8, as the measurement runs them: the same logits.
            int n = frames.size();
            int per = 3 * 32 * 32;
            float[] pixels = new float[n * per];
            for (int i = 0; i < n; i++) {
                System.arraycopy(pre.preprocess(frames.encoded().get(i)), 0, pixels, i * per, per);
            }
            long[] shape = {n, 3, 32, 32};
            float[][] teacher = m.logits(pixels, shape, CompressionLevel.none());
            float[][] small = s.logits(pixels, shape, CompressionLevel.none());
            int agree = 0;
            int correct = 0;
            double kl = 0;
            for (int i = 0; i < n; i++) {
                agree += argMax(small[i]) == argMax(teacher[i]) ? 1 : 0;
                correct += argMax(small[i]) == frames.labels()[i] ? 1 : 0;
                kl += LadderMeasurement.kl(LadderMeasurement.softmax(teacher[i]), LadderMeasurement.softmax(small[i]));
            }
            assertThat(q.agreement()[1]).isEqualTo((double) agree / n);
            assertThat(q.top1()[1]).isEqualTo((double) correct / n);
            // Same sums in the same order; the tolerance only absorbs the max(0, ·) clamp's absence.
            assertThat(q.kl()[1]).isCloseTo(Math.max(0, kl / n), org.assertj.core.data.Offset.offset(1e-12));
            assertThat(q.agreement()[0]).isEqualTo(1.0);
        }
    }

    private static int argMax(float[] row) {
        int best = 0;
        for (int i = 1; i < row.length; i++) {
            if (row[i] > row[best]) {
                best = i;
            }
        }
        return best;
    }

    @Test
    void helpExplainsTheStudent() {
        Result r = run("ladder", "--help");
        assertThat(r.status()).isZero();
        assertThat(r.out()).contains("--student DIR", "vit.model.student", "--families student");
    }
}
