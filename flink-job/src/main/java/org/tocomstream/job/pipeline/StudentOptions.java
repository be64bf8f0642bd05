package org.tocomstream.job.pipeline;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import org.apache.flink.configuration.ReadableConfig;
import org.tocomstream.compress.CostModel;
import org.tocomstream.model.ModelSpec;

/**
 * The job's student ({@link StreamJobOptions#STUDENT}, {@code src/docs/student.md}), read on the
 * client: its {@code model.json} is checked against the model's (same labels, same
 * preprocessing) before the job is built, and its architecture prices the {@code student} level in
 * the cost model that orders the controller's ladder. The TaskManagers load its weights from the
 * same path, beside the model.
 */
public final class StudentOptions {

    private StudentOptions() {}

    /**
     * The student's {@code model.json}, or null when no student is set.
     *
     * @param model the model's, which the student must be able to stand in for
     * @throws UncheckedIOException naming the setting and the file when it cannot be read
     * @throws IllegalArgumentException naming the setting when labels or preprocessing differ
     */
    public static ModelSpec student(ReadableConfig conf, ModelSpec model) {
        String dir = conf.getOptional(StreamJobOptions.STUDENT).orElse(null);
        if (dir == null || dir.isBlank()) {
            return null;
        }
        Path file = Path.of(dir).resolve(ModelSpec.FILE_NAME);
        ModelSpec student;
        try {
            student = ModelSpec.read(Path.of(dir));
        } catch (IOException e) {
            throw new UncheckedIOException(
                    StreamJobOptions.STUDENT.key() + ": cannot read " + file + ": " + e.getMessage(), e);
        }
        String misfit = model.studentMisfit(student).orElse(null);
        if (misfit != null) {
            throw new IllegalArgumentException(String.format(
                    "%s = %s: the student %s cannot stand in for the model %s: %s",
                    StreamJobOptions.STUDENT.key(),
                    dir,
                    student.architecture().name(),
                    model.architecture().name(),
                    misfit));
        }
        return student;
    }

    /**
     * The cost model of {@code model}, which also costs the {@code student} level when the
     * settings name a student ({@link CostModel#withStudent}).
     *
     * @throws UncheckedIOException or IllegalArgumentException as {@link #student}
     */
    public static CostModel cost(ReadableConfig conf, ModelSpec model) {
        CostModel cost = CostModel.of(model.architecture().geometry());
        ModelSpec student = student(conf, model);
        return student == null ? cost : cost.withStudent(student.architecture().geometry());
    }
}
