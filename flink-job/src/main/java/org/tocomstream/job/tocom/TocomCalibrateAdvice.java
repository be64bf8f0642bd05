package org.tocomstream.job.tocom;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.tocomstream.compensate.CalibrationVerdict;
import org.tocomstream.compensate.CompensatorConfig;
import org.tocomstream.compensate.TokenCompensator;
import org.tocomstream.job.cli.DataOptions;
import org.tocomstream.job.cli.ParsedArgs;

/**
 * What {@code tocom calibrate} says after a line search about whether the plugin helps the model
 * ({@link CalibrationVerdict}): one line when it does; when it does not, a warning and, for a model
 * that is not the plugin's base, the {@code tocom train} command that trains a plugin on that model
 * itself from the same frames (same axis and rank), then the {@code tocom calibrate} for it.
 */
final class TocomCalibrateAdvice {

    private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_./:,=@+%-]+");

    private TocomCalibrateAdvice() {}

    /**
     * The frame options as given to {@code tocom calibrate}, in an order {@code tocom train} takes:
     * {@code --images DIR}, {@code --topic T --bootstrap H:P}, or {@code --generator} with the
     * generator options that were given.
     */
    static List<String> frameArgs(ParsedArgs args) {
        List<String> out = new ArrayList<>();
        if (args.has(TocomTrainRun.IMAGES)) {
            out.add(TocomTrainRun.IMAGES);
            out.add(args.string(TocomTrainRun.IMAGES).orElseThrow());
        } else if (args.has(TocomTrainRun.TOPIC)) {
            for (String o : List.of(TocomTrainRun.TOPIC, TocomTrainRun.BOOTSTRAP)) {
                out.add(o);
                out.add(args.string(o).orElseThrow());
            }
        } else if (args.has(DataOptions.GENERATOR)) {
            out.add(DataOptions.GENERATOR);
            for (String o : List.of(
                    DataOptions.DATA_SEED,
                    DataOptions.FRAME_SIZE,
                    DataOptions.CLASSES,
                    DataOptions.OBJECT_SCALE,
                    DataOptions.NOISE)) {
                args.string(o).ifPresent(v -> {
                    out.add(o);
                    out.add(v);
                });
            }
        }
        return List.copyOf(out);
    }

    /**
     * The lines to print (each ending in a newline).
     *
     * @param verdict the line search's verdict
     * @param plugin the plugin calibrated
     * @param model the model directory
     * @param isBase whether the model is the plugin's base (same weights)
     * @param frames {@link #frameArgs} of the command
     */
    static String text(
            CalibrationVerdict verdict, TokenCompensator plugin, Path model, boolean isBase, List<String> frames) {
        if (verdict.helps()) {
            return "the plugin helps this model: " + verdict.text() + System.lineSeparator();
        }
        StringBuilder out = new StringBuilder();
        out.append(String.format(
                Locale.ROOT,
                "warning: the plugin does not help this model: %s (it helps when at most %.0f %% of the pairs"
                        + " are off and the mean KL falls by %.0f %% or more)%n",
                verdict.text(),
                100 * CalibrationVerdict.MAX_OFF_FRACTION,
                100 * CalibrationVerdict.MIN_MEAN_KL_REDUCTION));
        if (isBase) {
            out.append(String.format(
                    "this model is the plugin's base: train the plugin longer or on more frames (tocom train"
                            + " --epochs, --train-size)%n"));
            return out.toString();
        }
        Path own = model.resolve("tocom.safetensors");
        List<String> train = new ArrayList<>(List.of("tocom", "train", "--model", model.toString()));
        train.addAll(frames);
        train.addAll(axisArgs(plugin.config()));
        train.addAll(List.of("--out", own.toString()));
        List<String> calibrate =
                new ArrayList<>(List.of("tocom", "calibrate", "--model", model.toString(), "--plugin", own.toString()));
        calibrate.addAll(frames);
        out.append(String.format(
                "a plugin trained on its base does not carry over to this model (compensator.md, \"Transfer to a"
                        + " fine-tuned model\"); train one on this model itself, from its own unlabelled frames,"
                        + " then calibrate that one:%n"));
        out.append("  ").append(shell(train)).append(System.lineSeparator());
        out.append("  ").append(shell(calibrate)).append(System.lineSeparator());
        return out.toString();
    }

    /** The plugin's axis and rank as {@code tocom train} options. */
    static List<String> axisArgs(CompensatorConfig config) {
        List<String> out = new ArrayList<>();
        if (config.axis().isLevelList()) {
            out.addAll(List.of(RungOptions.LEVELS, config.axis().text()));
        } else {
            out.addAll(List.of(
                    TocomTrainRun.DEGREES,
                    config.schedule().name().toLowerCase(Locale.ROOT),
                    TocomTrainRun.MAX_DEGREE,
                    Integer.toString(config.maxDegree())));
        }
        out.addAll(List.of(TocomTrainRun.RANK_PER_STEP, Integer.toString(config.rankPerStep())));
        return out;
    }

    /** The words joined by spaces, each that a shell would split or expand in single quotes. */
    static String shell(List<String> words) {
        StringBuilder out = new StringBuilder();
        for (String w : words) {
            out.append(out.length() == 0 ? "" : " ")
                    .append(PLAIN.matcher(w).matches() ? w : "'" + w.replace("'", "'\\''") + "'");
        }
        return out.toString();
    }
}
