package org.tocomstream.stream;

import ai.djl.Device;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The student a predictor loads beside its model ({@link ModelConfig#studentDir()}): leased from
 * the same registry on the same device, and checked to read the frames the model reads and to
 * answer with the model's labels, since the student level reuses the batch the model's
 * preprocessing made and the labels name classes by the model's order.
 */
final class StudentModel {

    private StudentModel() {}

    /**
     * The student's lease, or null when {@code config} names none.
     *
     * @param model the lease of the model the student stands in for
     * @throws IOException naming {@value ModelConfig#STUDENT_DIR} when the directory cannot be loaded
     * @throws IllegalArgumentException naming {@value ModelConfig#STUDENT_DIR} and the difference
     *     when the student's labels or preprocessing differ from the model's
     */
    static ModelRegistry.Lease acquire(
            ModelConfig config, ModelRegistry registry, Device device, ModelRegistry.Lease model) throws IOException {
        if (config.studentDir() == null) {
            return null;
        }
        ModelRegistry.Lease student;
        try {
            student = registry.acquire(Path.of(config.studentDir()), device);
        } catch (IOException e) {
            throw new IOException(
                    String.format(
                            "%s = %s: cannot load the student: %s",
                            ModelConfig.STUDENT_DIR, config.studentDir(), e.getMessage()),
                    e);
        }
        String misfit =
                model.model().spec().studentMisfit(student.model().spec()).orElse(null);
        if (misfit != null) {
            student.close();
            throw new IllegalArgumentException(String.format(
                    "%s = %s: the student %s cannot stand in for the model %s: %s",
                    ModelConfig.STUDENT_DIR, config.studentDir(), student.modelId(), model.modelId(), misfit));
        }
        return student;
    }
}
