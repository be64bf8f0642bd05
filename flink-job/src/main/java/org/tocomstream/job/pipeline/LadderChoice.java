package org.tocomstream.job.pipeline;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.stream.Collectors;
import org.apache.flink.configuration.ReadableConfig;
import org.tocomstream.compensate.TokenCompensator;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.compress.CostModel;
import org.tocomstream.control.Ladder;
import org.tocomstream.control.MeasuredLadder;
import org.tocomstream.control.OverloadReach;
import org.tocomstream.control.Shedding;
import org.tocomstream.model.ModelSpec;

/**
 * Which ladder the adaptive control uses, and where it came from, in this order:
 *
 * <ol>
 *   <li>{@code vit.control.ladder} when set;
 *   <li>else the model directory's {@value MeasuredLadder#FILE_NAME} (written by the {@code ladder}
 *       command) when there is one; it must have been measured on these weights ({@code
 *       model.weightsSha256}) and every rung must fit the model, else the start is refused with
 *       one line naming the file: a ladder measured on other weights says nothing about these, and
 *       silently falling back would run a ladder the user did not choose;
 *   <li>else the ladder derived from the model: {@code none} plus {@value
 *       ControlOptions#DERIVED_TOME_STEPS} ToMe steps ({@link Ladder#tomeSteps}).
 * </ol>
 *
 * <pre>{@code
 * LadderChoice c = LadderChoice.resolve(conf, cost);
 * c.ladder();     // none;tome:3;evit:0.5
 * c.describe();   // ladder: none;tome:3;evit:0.5 (measured: /models/cams/ladder.json, ...)
 * }</pre>
 *
 * @param ladder the rungs
 * @param source where they came from, for the effective configuration
 * @param measured the model's measured ladder when it is the source, else null
 */
public record LadderChoice(Ladder ladder, String source, MeasuredLadder measured) {

    /**
     * The ladder for {@code conf}: see the class comment.
     *
     * @throws IllegalArgumentException one line naming the setting or the file when the ladder
     *     cannot be used
     */
    public static LadderChoice resolve(ReadableConfig conf, CostModel cost) {
        String text = conf.get(ControlOptions.LADDER);
        if (text != null && !text.isBlank()) {
            return new LadderChoice(Ladder.parse(cost, text), "set by " + Ladder.SETTING, null);
        }
        String dir = conf.get(StreamJobOptions.MODEL_DIR);
        Path file = dir == null || dir.isBlank() ? null : Path.of(dir).resolve(MeasuredLadder.FILE_NAME);
        if (file != null && Files.isRegularFile(file)) {
            return measured(file, cost);
        }
        return new LadderChoice(
                Ladder.tomeSteps(cost, ControlOptions.DERIVED_TOME_STEPS),
                "derived from the model: none plus " + ControlOptions.DERIVED_TOME_STEPS + " ToMe steps"
                        + (file == null ? "" : "; no " + MeasuredLadder.FILE_NAME + " in " + dir),
                null);
    }

    /**
     * The measured ladder of {@code file}, checked against the model beside it.
     *
     * @throws IllegalArgumentException one line naming the file when it cannot be used
     */
    public static LadderChoice measured(Path file, CostModel cost) {
        String unset = Ladder.SETTING + " is not set, so " + file + " applies, but ";
        MeasuredLadder measured;
        String sha;
        try {
            measured = MeasuredLadder.read(file);
            sha = TokenCompensator.weightsSha256(file.getParent());
        } catch (IOException e) {
            throw new IllegalArgumentException(unset + "it cannot be read: " + e.getMessage(), e);
        }
        if (!sha.equalsIgnoreCase(measured.model().weightsSha256())) {
            throw new IllegalArgumentException(String.format(
                    "%sit was measured on weights sha256 %s and the model's are %s: measure again"
                            + " (ladder --model %s), remove the file, or set %s",
                    unset, measured.model().weightsSha256(), sha, file.getParent(), Ladder.SETTING));
        }
        for (CompressionLevel level : measured.levels()) {
            if (level.isStudent() && cost.student() == null) {
                MeasuredLadder.Student s = measured.student();
                throw new IllegalArgumentException(String.format(
                        "%sits rung student ran the student %s: set %s (--student DIR) to that model directory,"
                                + " or set %s",
                        unset,
                        s == null ? "(not named in the file)" : s.model() + " from " + s.dir(),
                        StreamJobOptions.STUDENT.key(),
                        Ladder.SETTING));
            }
            level.misfit(cost.geometry(), "the model").ifPresent(why -> {
                throw new IllegalArgumentException(unset + "its rung " + level + " " + why);
            });
        }
        Ladder ladder;
        try {
            ladder = measured.ladder(cost);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(unset + e.getMessage(), e);
        }
        String speedups = measured.rungs().stream()
                .filter(MeasuredLadder.Rung::reachable)
                .map(r -> String.format(Locale.ROOT, "%s %.2fx", r.level(), r.speedup()))
                .distinct()
                .collect(Collectors.joining(", "));
        String unreachable = measured.unreachable().isEmpty()
                ? ""
                : "; not reached: "
                        + measured.unreachable().stream()
                                .map(t -> String.format(Locale.ROOT, "%.2fx", t))
                                .collect(Collectors.joining(", "));
        return new LadderChoice(
                ladder,
                String.format(
                        Locale.ROOT,
                        "measured: %s, %s, end-to-end speed-ups %s%s",
                        file,
                        measured.createdAt(),
                        speedups,
                        unreachable + (ladder.size() == 1 ? " (only none: the controller cannot degrade)" : "")),
                measured);
    }

    /** {@code ladder: TEXT (SOURCE)}, one line for the effective configuration. */
    public String describe() {
        return "ladder: " + ladder + " (" + source + ")";
    }

    /**
     * The line for the effective configuration: {@link #describe()} with the adaptive policy,
     * else that no ladder is used.
     *
     * @throws IllegalArgumentException as {@link #resolve}
     */
    public static String describe(ReadableConfig conf, CostModel cost) {
        if (conf.get(ControlOptions.POLICY) != ControlOptions.Policy.ADAPTIVE) {
            return "ladder: not used (" + ControlOptions.POLICY.key() + " = " + conf.get(ControlOptions.POLICY) + ")";
        }
        return resolve(conf, cost).describe();
    }

    /**
     * The start line that says how much overload the ladder absorbs end to end and what happens
     * beyond it ({@link OverloadReach}): the measured top rung's speed-up when the ladder is the
     * model's {@code ladder.json}, else the cost model's upper bound; with the fixed policy, that
     * nothing is absorbed.
     *
     * @throws IllegalArgumentException as {@link #resolve}
     */
    public static String overload(ReadableConfig conf, CostModel cost) {
        if (conf.get(ControlOptions.POLICY) != ControlOptions.Policy.ADAPTIVE) {
            return "overload: absorbs none: the level is fixed (" + ControlOptions.POLICY.key() + " = "
                    + conf.get(ControlOptions.POLICY) + "), so above its capacity frame age grows without"
                    + " bound; set " + ControlOptions.POLICY.key() + ": ADAPTIVE (--control adaptive)";
        }
        return resolve(conf, cost).overload(conf).describe(conf.get(StreamJobOptions.MODEL_DIR));
    }

    /** What this ladder absorbs under the shedding {@code conf} asks for. */
    public OverloadReach overload(ReadableConfig conf) {
        Shedding shedding = ControlOptions.shedding(conf);
        return measured == null
                ? OverloadReach.costModel(ladder, shedding)
                : OverloadReach.measured(ladder, measured, shedding);
    }

    /**
     * The cost model of the model in {@link StreamJobOptions#MODEL_DIR}, with its student's when
     * one is set ({@link StudentOptions#cost}).
     *
     * @throws UncheckedIOException naming the file when its {@code model.json} cannot be read
     */
    public static CostModel costOf(ReadableConfig conf) {
        Path dir = Path.of(conf.get(StreamJobOptions.MODEL_DIR));
        try {
            return StudentOptions.cost(conf, ModelSpec.read(dir));
        } catch (IOException e) {
            throw new UncheckedIOException(
                    StreamJobOptions.MODEL_DIR.key() + ": cannot read " + dir.resolve(ModelSpec.FILE_NAME) + ": "
                            + e.getMessage(),
                    e);
        }
    }
}
