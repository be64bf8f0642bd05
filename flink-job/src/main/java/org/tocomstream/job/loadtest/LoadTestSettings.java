package org.tocomstream.job.loadtest;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.apache.flink.configuration.Configuration;
import org.tocomstream.control.Shedding;

/**
 * What {@code loadtest} runs: the model, the cameras, the rate profile and the job settings every
 * policy shares.
 *
 * @param modelDir the model directory
 * @param streams camera streams
 * @param phases load of each phase as a multiple of {@code capacity}
 * @param phaseSeconds length of each phase
 * @param capacity the job's frames/s at the ladder's first rung (measured, or given)
 * @param maxBatch the job's max batch size
 * @param maxDelayMs the job's max batch delay
 * @param jobFlags job settings given on the command line (batching and controller), applied to every policy
 * @param latencyTarget frame age the checks hold the adaptive policies to
 * @param shedMode the shedding mode of the {@code adaptive-shed} policy
 * @param drainIdle after the last phase, stop waiting for outputs when none came for this long
 */
public record LoadTestSettings(
        Path modelDir,
        int streams,
        List<Double> phases,
        double phaseSeconds,
        double capacity,
        int maxBatch,
        int maxDelayMs,
        Configuration jobFlags,
        Duration latencyTarget,
        Shedding.Mode shedMode,
        Duration drainIdle) {

    public LoadTestSettings {
        phases = List.copyOf(phases);
        jobFlags = new Configuration(jobFlags);
    }

    LoadTestSettings withProfile(List<Double> newPhases, double newPhaseSeconds) {
        return new LoadTestSettings(
                modelDir,
                streams,
                newPhases,
                newPhaseSeconds,
                capacity,
                maxBatch,
                maxDelayMs,
                jobFlags,
                latencyTarget,
                shedMode,
                drainIdle);
    }

    LoadTestSettings withCapacity(double framesPerSecond) {
        return new LoadTestSettings(
                modelDir,
                streams,
                phases,
                phaseSeconds,
                framesPerSecond,
                maxBatch,
                maxDelayMs,
                jobFlags,
                latencyTarget,
                shedMode,
                drainIdle);
    }

    /** A multiplier as written on the command line: {@code 0.5}, {@code 1}, {@code 2.5}. */
    static String format(double multiplier) {
        String s = String.format(Locale.ROOT, "%.3f", multiplier).replaceAll("0+$", "");
        return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
    }
}
