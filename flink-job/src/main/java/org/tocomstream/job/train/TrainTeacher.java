package org.tocomstream.job.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import org.tocomstream.job.cli.Cli;
import org.tocomstream.job.cli.CommandFailedException;
import org.tocomstream.model.ModelSpec;
import org.tocomstream.model.ModelSpec.PreprocessConfig;
import org.tocomstream.model.VitCheckpoint;
import org.tocomstream.model.VitConfig;
import org.tocomstream.model.train.DistillTeacher;
import org.tocomstream.model.train.Distillation;

/**
 * {@code train --teacher DIR}: the teacher's model directory, what a student must share with it
 * (labels, input size, normalisation) and its weights for the {@link
 * org.tocomstream.model.train.Trainer}.
 */
record TrainTeacher(Path dir, ModelSpec spec) {

    static TrainTeacher read(Path dir) throws CommandFailedException {
        try {
            return new TrainTeacher(dir, ModelSpec.read(dir));
        } catch (IOException | RuntimeException e) {
            throw new CommandFailedException("cannot load --teacher " + dir + ": " + Cli.describe(e), e);
        }
    }

    /**
     * A {@code --preset} student's preprocessing: the teacher's (both see the same pixels), with
     * {@code --input-size} and {@code --crop-fraction} applied when given.
     */
    PreprocessConfig presetPreprocessing(VitConfig preset, OptionalInt inputSize, OptionalDouble crop)
            throws CommandFailedException {
        PreprocessConfig p = spec.preprocessing();
        int size = inputSize.orElse(p.inputSize());
        if (size % preset.patchSize() != 0) {
            throw new CommandFailedException(String.format(
                    "--teacher %s's input size %d is not a multiple of %s's patch size %d",
                    dir, size, preset.name(), preset.patchSize()));
        }
        return new PreprocessConfig(size, p.mean(), p.std(), p.interpolation(), crop.orElse(p.cropFraction()));
    }

    /** Refuses a student that does not share the teacher's labels, input size and normalisation. */
    void check(ModelSpec student) throws CommandFailedException {
        if (!spec.labels().equals(student.labels())) {
            throw new CommandFailedException(String.format(
                    "the labels of --teacher %s %s differ from the student's %s",
                    dir, spec.labels(), student.labels()));
        }
        PreprocessConfig t = spec.preprocessing();
        PreprocessConfig s = student.preprocessing();
        if (t.inputSize() != s.inputSize()
                || spec.architecture().inChannels() != student.architecture().inChannels()) {
            throw new CommandFailedException(String.format(
                    "--teacher %s takes %d px input but the student %d px: give a student of the same input size",
                    dir, t.inputSize(), s.inputSize()));
        }
        if (!Arrays.equals(t.mean(), s.mean()) || !Arrays.equals(t.std(), s.std())) {
            throw new CommandFailedException(String.format(
                    "--teacher %s normalises with mean %s std %s but the student with mean %s std %s",
                    dir,
                    Arrays.toString(t.mean()),
                    Arrays.toString(t.std()),
                    Arrays.toString(s.mean()),
                    Arrays.toString(s.std())));
        }
    }

    /** The teacher, frozen, with the distillation settings. */
    DistillTeacher load(Distillation settings) throws CommandFailedException {
        try {
            return new DistillTeacher(
                    spec.architecture(),
                    spec.labels(),
                    VitCheckpoint.load(spec.weightsPath(dir), spec.architecture()),
                    settings);
        } catch (IOException | RuntimeException e) {
            throw new CommandFailedException("cannot load the weights of --teacher " + dir + ": " + Cli.describe(e), e);
        }
    }
}
