package org.tocomstream.stream;

/**
 * The clock the {@link LevelSource#adaptive adaptive} load controller measures its intervals
 * (dwells, the integral's time step, the age trend) with. Frame ages always use the operator's
 * processing time, because capture times are epoch ms.
 *
 * <pre>{@code
 * LevelSource job = LevelSource.adaptive(config);                                  // MONOTONIC
 * LevelSource harness = LevelSource.adaptive(config, ControllerClock.PROCESSING_TIME);
 * }</pre>
 */
public enum ControllerClock {
    /**
     * {@link System#nanoTime()}: never steps, whatever the wall clock does. The default in a job.
     */
    MONOTONIC,
    /**
     * The operator's processing time (the wall clock in a job), of which only forward steps count:
     * for tests and simulations that drive time through Flink's processing-time service. A forward
     * step of the wall clock still counts as time passed.
     */
    PROCESSING_TIME
}
