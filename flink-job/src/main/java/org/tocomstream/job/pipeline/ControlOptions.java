package org.tocomstream.job.pipeline;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.ReadableConfig;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.compress.CostModel;
import org.tocomstream.control.ControllerConfig;
import org.tocomstream.control.Ladder;
import org.tocomstream.control.Shedding;
import org.tocomstream.stream.LevelSource;

/**
 * The load controller's settings ({@code vit.control.*}), part of {@link StreamJobOptions#all()}
 * and checked by {@link StreamJobOptions#validate}. {@link #levelSource} turns them, with the
 * model's architecture for the cost model, into the operator's {@link LevelSource}. The policy is
 * described in {@code src/docs/controller.md}; its finer gains (PI gains, setpoint fraction,
 * smoothing, drain horizon) keep their {@link ControllerConfig} defaults.
 */
public final class ControlOptions {

    private ControlOptions() {}

    /** How the compression level of each batch is chosen. */
    public enum Policy {
        /** Always {@code vit.compress.level}. */
        FIXED,
        /** The load controller over {@code vit.control.ladder}. */
        ADAPTIVE
    }

    /** Ladder rungs derived from the model when {@link #LADDER} is not set. */
    public static final int DERIVED_TOME_STEPS = 3;

    public static final ConfigOption<Policy> POLICY = ConfigOptions.key("vit.control.policy")
            .enumType(Policy.class)
            .defaultValue(Policy.FIXED)
            .withDescription("FIXED: every batch runs at vit.compress.level. ADAPTIVE: the load controller"
                    + " picks each batch's level from vit.control.ladder to keep frame age"
                    + " under vit.control.latency-target (the local 'run' defaults to"
                    + " ADAPTIVE).");

    public static final ConfigOption<String> LADDER = ConfigOptions.key(Ladder.SETTING)
            .stringType()
            .noDefaultValue()
            .withDescription("ADAPTIVE: the levels to choose from, most accurate first, separated by ';',"
                    + " each cheaper than the one before, e.g. none;tome:2;tome:4;tome:6."
                    + " Not set: the model directory's ladder.json (measured by the ladder"
                    + " command on these weights) when there is one, else none plus three ToMe"
                    + " steps up to the largest r whose last block still merges for the model"
                    + " (none;tome:2;tome:4;tome:6 for the demo model).");

    public static final ConfigOption<Duration> LATENCY_TARGET = ConfigOptions.key(ControllerConfig.LATENCY_TARGET)
            .durationType()
            .defaultValue(ControllerConfig.DEFAULT_LATENCY_TARGET)
            .withDescription("ADAPTIVE: frame age (capture to label) to stay under; the controller aims"
                    + " at half of it for the oldest frame when a batch is formed.");

    public static final ConfigOption<Double> TARGET_UTILIZATION = ConfigOptions.key(ControllerConfig.TARGET_UTILIZATION)
            .doubleType()
            .defaultValue(ControllerConfig.DEFAULT_TARGET_UTILIZATION)
            .withDescription("ADAPTIVE: the lowest level whose measured capacity times this covers the"
                    + " arrival rate (plus backlog to drain) is chosen; in (0, 1].");

    public static final ConfigOption<Double> RESTORE_UTILIZATION = ConfigOptions.key(
                    ControllerConfig.RESTORE_UTILIZATION)
            .doubleType()
            .defaultValue(ControllerConfig.DEFAULT_RESTORE_UTILIZATION)
            .withDescription("ADAPTIVE: a step back to a more accurate level needs that level's capacity"
                    + " times this to cover the demand; below the target utilization (the"
                    + " gap is the hysteresis band).");

    public static final ConfigOption<Duration> DEGRADE_DWELL = ConfigOptions.key(ControllerConfig.DEGRADE_DWELL)
            .durationType()
            .defaultValue(ControllerConfig.DEFAULT_DEGRADE_DWELL)
            .withDescription("ADAPTIVE: least time at a level before moving to a cheaper one (fast to" + " degrade).");

    public static final ConfigOption<Duration> RESTORE_DWELL = ConfigOptions.key(ControllerConfig.RESTORE_DWELL)
            .durationType()
            .defaultValue(ControllerConfig.DEFAULT_RESTORE_DWELL)
            .withDescription("ADAPTIVE: time of calm (frames young, capacity to spare) before each step"
                    + " back to a more accurate level (slow to restore).");

    public static final ConfigOption<Shedding.Mode> SHED_MODE = ConfigOptions.key(Shedding.MODE)
            .enumType(Shedding.Mode.class)
            .defaultValue(Shedding.DEFAULT_MODE)
            .withDescription("ADAPTIVE: when even the cheapest level cannot keep up, DEADLINE (the"
                    + " default: skip the frames whose label would leave after the latency target,"
                    + " or those older than vit.control.shed-deadline when set, so frame age"
                    + " stays bounded), LATEST_PER_STREAM (run only the newest waiting frame of"
                    + " each stream) or OFF (never skip: frame age then grows without bound)."
                    + " Skipped frames get a label record marked skipped.");

    public static final ConfigOption<Duration> SHED_DEADLINE = ConfigOptions.key(Shedding.DEADLINE)
            .durationType()
            .noDefaultValue()
            .withDescription("ADAPTIVE with DEADLINE shedding: a fixed age limit; frames older than this"
                    + " when their batch is formed are skipped; must exceed the age setpoint"
                    + " (vit.control.age-setpoint × the latency target, half of it by default)."
                    + " Not set (the default): derived per batch from the latency target, a frame is"
                    + " skipped when its age plus the top rung's measured batch time (and any batch"
                    + " it waits for) would pass vit.control.latency-target less a tenth of it"
                    + " (kept free for the sink and the consumer); never below the age"
                    + " setpoint + 1 ms, and 80 % of the target until the rung's batch time is measured.");

    /** The options in print order. */
    public static List<ConfigOption<?>> all() {
        return List.of(
                POLICY,
                LADDER,
                LATENCY_TARGET,
                TARGET_UTILIZATION,
                RESTORE_UTILIZATION,
                DEGRADE_DWELL,
                RESTORE_DWELL,
                SHED_MODE,
                SHED_DEADLINE);
    }

    /** Problems with the controller settings, each naming its key; the ladder's costs are checked later, against the model. */
    static List<String> validate(ReadableConfig conf) {
        List<String> errors = new ArrayList<>();
        String ladder = conf.get(LADDER);
        if (ladder != null) {
            for (String level : ladder.split(Ladder.SEPARATOR, -1)) {
                try {
                    CompressionLevel.parse(level);
                } catch (IllegalArgumentException e) {
                    errors.add(LADDER.key() + ": " + e.getMessage());
                }
            }
        }
        try {
            // One stand-in rung: checks every number and relation except the ladder's costs.
            config(conf, new Ladder(List.of(new Ladder.Rung(CompressionLevel.none(), 1))));
        } catch (IllegalArgumentException e) {
            errors.add(e.getMessage());
        }
        return errors;
    }

    /**
     * The level source the settings ask for.
     *
     * @param cost the model's cost model, for the ladder's predicted costs
     * @throws IllegalArgumentException naming the setting
     */
    public static LevelSource levelSource(ReadableConfig conf, CostModel cost) {
        if (conf.get(POLICY) == Policy.FIXED) {
            return LevelSource.fixed(CompressionLevel.parse(conf.get(StreamJobOptions.LEVEL)));
        }
        return LevelSource.adaptive(config(conf, ladder(conf, cost)));
    }

    /**
     * The configured ladder; not set, the model directory's measured {@code ladder.json}, else the
     * one derived from the model ({@link LadderChoice}).
     */
    public static Ladder ladder(ReadableConfig conf, CostModel cost) {
        return LadderChoice.resolve(conf, cost).ladder();
    }

    /**
     * The shedding the settings ask for: the mode, with the fixed deadline when one is set, else
     * the age limit derived from the latency target per batch ({@link Shedding#auto()}).
     */
    public static Shedding shedding(ReadableConfig conf) {
        return new Shedding(conf.get(SHED_MODE), conf.getOptional(SHED_DEADLINE).orElse(null));
    }

    /**
     * The adaptive controller's settings over {@code ladder}.
     *
     * @throws IllegalArgumentException naming the setting
     */
    public static ControllerConfig config(ReadableConfig conf, Ladder ladder) {
        return ControllerConfig.builder(ladder)
                .latencyTarget(conf.get(LATENCY_TARGET))
                .targetUtilization(conf.get(TARGET_UTILIZATION))
                .restoreUtilization(conf.get(RESTORE_UTILIZATION))
                .degradeDwell(conf.get(DEGRADE_DWELL))
                .restoreDwell(conf.get(RESTORE_DWELL))
                .shedding(shedding(conf))
                .build();
    }
}
