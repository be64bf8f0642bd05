package org.tocomstream.job.ladder;

import ai.djl.Device;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.compress.CostModel;
import org.tocomstream.control.MeasuredLadder;
import org.tocomstream.job.cli.Cli;
import org.tocomstream.job.cli.CommandFailedException;
import org.tocomstream.model.VitModel;
import org.tocomstream.stream.ModelRegistry;

/**
 * The student of {@code ladder --student DIR}: a second, smaller model directory with the model's
 * labels and preprocessing, loaded once on the model's device and measured as the candidate
 * {@link CompressionLevel#student() student} (family {@value #FAMILY}): its forward pass runs the
 * student uncompressed on the pixels the model's preprocessing made, so decoding and preprocessing
 * are shared and timed as at every level, and its cost is the student's plain forward MACs
 * ({@link CostModel#withStudent}). The job runs such a rung with {@code vit.model.student} = the
 * same directory.
 */
final class LadderStudent implements AutoCloseable {

    /** The student candidate's family, and the item of {@code --families} that names it. */
    static final String FAMILY = "student";

    private final Path dir;
    private final VitModel model;
    private final String id;

    private LadderStudent(Path dir, VitModel model, String id) {
        this.dir = dir;
        this.model = model;
        this.id = id;
    }

    /**
     * Loads the student of {@code dir} on {@code device} and checks that it can stand in for
     * {@code teacher}.
     *
     * @throws CommandFailedException naming {@code option} when the directory cannot be loaded, or
     *     the student's labels or preprocessing differ from the model's
     */
    static LadderStudent load(String option, Path dir, Device device, VitModel teacher) throws CommandFailedException {
        if (!Files.isDirectory(dir)) {
            throw new CommandFailedException(option + " " + dir + ": no such model directory");
        }
        VitModel student;
        String id;
        try {
            student = VitModel.load(dir, device);
        } catch (IOException | RuntimeException e) {
            throw new CommandFailedException(option + " " + dir + ": cannot load the student: " + Cli.describe(e), e);
        }
        try {
            id = ModelRegistry.modelId(dir);
            Optional<String> misfit = teacher.spec().studentMisfit(student.spec());
            if (misfit.isPresent()) {
                throw new CommandFailedException(String.format(
                        "%s %s: the student %s cannot stand in for the model %s: %s",
                        option, dir, id, teacher.config().name(), misfit.get()));
            }
        } catch (IOException e) {
            student.close();
            throw new CommandFailedException(
                    option + " " + dir + ": cannot read the student's weights: " + Cli.describe(e), e);
        } catch (CommandFailedException e) {
            student.close();
            throw e;
        }
        return new LadderStudent(dir, student, id);
    }

    /** The student model; closed with this. */
    VitModel model() {
        return model;
    }

    /** {@code cost}, costing the student level as this student's plain forward pass. */
    CostModel cost(CostModel cost) {
        return cost.withStudent(model.config().geometry());
    }

    /** {@code candidates} followed by the student candidate. */
    List<LadderCandidates> plus(List<LadderCandidates> candidates) {
        return LadderCandidates.plus(candidates, List.of(CompressionLevel.student()), FAMILY);
    }

    /** The student as {@code ladder.json} names it. */
    MeasuredLadder.Student named() {
        return new MeasuredLadder.Student(dir.toString(), id);
    }

    /** A progress line: the student and its MACs relative to the model's ({@code cost}, made by {@link #cost}). */
    String description(CostModel cost) {
        return String.format(
                Locale.ROOT,
                "ladder: candidate student: %s from %s, %.3f of the model's MACs",
                id,
                dir,
                (double) cost.macs(CompressionLevel.student()) / cost.macs(CompressionLevel.none()));
    }

    @Override
    public void close() {
        model.close();
    }
}
