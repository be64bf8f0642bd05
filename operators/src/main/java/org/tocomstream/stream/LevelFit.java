package org.tocomstream.stream;

import org.apache.flink.runtime.execution.SuppressRestartsException;

/**
 * The operator's check, once its model is open, that every level its {@link LevelSource} may
 * answer runs on that model ({@link LevelSource#requireFits}). A level that does not fit would
 * fail every batch, restart after restart, so the task fails for good with one message naming
 * the setting, the level and why. The job's client checks the same before submitting; this
 * catches a job built by another route.
 */
final class LevelFit {

    private LevelFit() {}

    /**
     * @throws SuppressRestartsException around the {@link IllegalArgumentException} that names
     *     the setting and the level, when a level does not fit the predictor's model or the levels
     *     include the student and the predictor has none
     */
    static void require(LevelSource levels, BatchPredictor predictor) {
        try {
            predictor.geometry().ifPresent(g -> levels.requireFits(g, "the model " + predictor.modelId()));
            if (levels.usesStudent() && predictor.studentId() == null) {
                throw new IllegalArgumentException(String.format(
                        "the levels of %s include student, but the model %s has no student: set %s to the"
                                + " student's model directory",
                        levels, predictor.modelId(), ModelConfig.STUDENT_DIR));
            }
        } catch (IllegalArgumentException e) {
            throw new SuppressRestartsException(e);
        }
    }
}
