package org.tocomstream.job.loadtest;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import org.apache.flink.configuration.Configuration;
import org.tocomstream.control.Ladder;
import org.tocomstream.control.Shedding;
import org.tocomstream.job.pipeline.ControlOptions;
import org.tocomstream.job.pipeline.StreamJobOptions;
import org.tocomstream.job.run.PipelineRuns;

/** The policies {@code loadtest} compares, each run on its own topics. */
public enum LoadTestPolicy {
    /** Every batch at the ladder's most accurate rung. */
    FIXED_0("fixed-0"),
    /** Every batch at the ladder's cheapest rung. */
    FIXED_TOP("fixed-top"),
    /** The load controller over the ladder, never skipping. */
    ADAPTIVE("adaptive"),
    /** The load controller over the ladder, shedding at the saturated top rung. */
    ADAPTIVE_SHED("adaptive-shed"),
    /**
     * The job as the local {@code run} starts it: the load controller over the ladder, shedding as
     * {@code vit.control.shed-mode} defaults ({@code --shed} does not apply; the other job flags
     * given do). Not in the default list of policies: {@code --policies default}.
     */
    DEFAULT("default");

    /** The policies run when {@code --policies} is not given, in order. */
    static final List<LoadTestPolicy> STANDARD = List.of(FIXED_0, FIXED_TOP, ADAPTIVE, ADAPTIVE_SHED);

    /** Every id, for an error message. */
    static String ids() {
        return Arrays.stream(values()).map(LoadTestPolicy::id).collect(Collectors.joining(", "));
    }

    private final String id;

    LoadTestPolicy(String id) {
        this.id = id;
    }

    /** The name on the command line and in file names. */
    String id() {
        return id;
    }

    boolean adaptive() {
        return this != FIXED_0 && this != FIXED_TOP;
    }

    /** The policy named {@code id}, or null. */
    static LoadTestPolicy byId(String id) {
        for (LoadTestPolicy p : values()) {
            if (p.id.equals(id.trim().toLowerCase(Locale.ROOT))) {
                return p;
            }
        }
        return null;
    }

    /** The job's settings: topics {@code lt-<id>-*}, the user's job flags, then this policy's level settings. */
    Configuration jobConf(LoadTestSettings s, Ladder ladder, String bs) {
        return jobConf(s, ladder, bs, "lt-" + id);
    }

    /** As {@link #jobConf(LoadTestSettings, Ladder, String)}, with topics {@code <topicPrefix>-*}. */
    Configuration jobConf(LoadTestSettings s, Ladder ladder, String bs, String topicPrefix) {
        Configuration c = PipelineRuns.jobConf(bs, s.modelDir(), "none", s.maxBatch(), s.maxDelayMs(), topicPrefix);
        c.addAll(s.jobFlags());
        c.set(StreamJobOptions.STARTING_OFFSETS, StreamJobOptions.StartingOffsets.EARLIEST);
        switch (this) {
            case FIXED_0:
            case FIXED_TOP:
                c.set(ControlOptions.POLICY, ControlOptions.Policy.FIXED);
                c.set(
                        StreamJobOptions.LEVEL,
                        ladder.level(this == FIXED_0 ? 0 : ladder.top()).toString());
                break;
            default:
                c.set(ControlOptions.POLICY, ControlOptions.Policy.ADAPTIVE);
                c.set(ControlOptions.LADDER, ladder.toString());
                if (this != DEFAULT) {
                    c.set(ControlOptions.SHED_MODE, this == ADAPTIVE ? Shedding.Mode.OFF : s.shedMode());
                }
        }
        return c;
    }

    /** {@code "fixed tome:6"}, {@code "adaptive over none;tome:2;tome:4;tome:6, shedding DEADLINE 2 s"}. */
    String describe(LoadTestSettings s, Ladder ladder) {
        switch (this) {
            case FIXED_0:
                return "fixed " + ladder.level(0);
            case FIXED_TOP:
                return "fixed " + ladder.level(ladder.top());
            case ADAPTIVE:
                return "adaptive over " + ladder + ", no shedding";
            default:
                Configuration c = jobConf(s, ladder, "unused");
                Shedding shedding = ControlOptions.shedding(c);
                return (this == DEFAULT ? "the job's defaults: " : "") + "adaptive over " + ladder + ", shedding "
                        + shedding.mode()
                        + (shedding.mode() != Shedding.Mode.DEADLINE
                                ? ""
                                : shedding.isAuto()
                                        ? " by the latency target"
                                        : " " + shedding.deadline().toMillis() + " ms");
        }
    }
}
