package org.tocomstream.model.train;

/**
 * Thrown when a {@link Trainer} was asked to stop (Ctrl-C): it stops between two steps, never
 * inside one or while writing a checkpoint, so the checkpoint on disk is the last finished epoch's
 * and running the same training again resumes from it.
 */
public final class TrainingStoppedException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    private final long step;
    private final long checkpointStep;

    TrainingStoppedException(long step, long totalSteps, long checkpointStep) {
        super(String.format(
                "stopped on request after step %d of %d; %s",
                step,
                totalSteps,
                checkpointStep > 0
                        ? "the checkpoint on disk is from step " + checkpointStep
                                + " (the last finished epoch): run the same training again to resume from it"
                        : "no epoch had finished, so no checkpoint was written"));
        this.step = step;
        this.checkpointStep = checkpointStep;
    }

    /** Steps completed when training stopped. */
    public long step() {
        return step;
    }

    /** The step of the checkpoint on disk, 0 when none was written. */
    public long checkpointStep() {
        return checkpointStep;
    }
}
