package org.tocomstream.job.loadtest;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.flink.configuration.Configuration;
import org.tocomstream.compress.CostModel;
import org.tocomstream.control.Ladder;
import org.tocomstream.control.MeasuredLadder;
import org.tocomstream.job.cli.ParsedArgs;
import org.tocomstream.job.cli.UsageException;
import org.tocomstream.job.pipeline.ControlOptions;
import org.tocomstream.job.pipeline.LadderChoice;
import org.tocomstream.job.pipeline.StreamJobOptions;

/**
 * {@code loadtest --ladders}: the ladders to compare in one run, each a named variant that every
 * policy runs once over, on topics of its own, with the same measured capacity and offered load.
 *
 * <p>Entries: {@code derived} (today's ladder derived from the model: {@code none} plus {@value
 * ControlOptions#DERIVED_TOME_STEPS} ToMe steps), {@code measured} (the model directory's {@code
 * ladder.json}, checked as the job checks it), {@code NAME=LADDER} (a ladder text, levels
 * separated by {@code ;}), {@code NAME=FILE.json} (a measured ladder file the {@code ladder}
 * command wrote with {@code --out} into the model directory, checked as {@code ladder.json}; its
 * rungs are costed by their measured speed-ups, as the job costs them), or a ladder text alone (named after the families of its rungs above the
 * first: {@code none;reuse:0.5;reuse:0.25} is {@code reuse}). Entries are separated by {@code |};
 * when none names a ladder ({@code =}), by commas too, a comma followed by a digit continuing a
 * level's list ({@code derived,none;tome:8,8,4;reuse:0.25}). The capacity is measured once at the
 * first rung, so every ladder must start at the same level.
 */
final class LoadTestLadders {

    static final String OPTION = "--ladders";

    /** One ladder of the comparison. */
    record Variant(String name, LadderChoice choice) {

        Ladder ladder() {
            return choice.ladder();
        }
    }

    private LoadTestLadders() {}

    /** The variants of {@code --ladders}; empty when it is not given. */
    static List<Variant> parse(ParsedArgs args, Configuration flags, Path modelDir, CostModel cost)
            throws UsageException {
        if (!args.has(OPTION)) {
            return List.of();
        }
        if (args.has("--ladder")) {
            throw args.error(OPTION, "give either --ladder (one ladder) or --ladders (a comparison), not both");
        }
        String text = args.string(OPTION).orElseThrow();
        List<Variant> out = new ArrayList<>();
        for (String entry : entries(text)) {
            Variant v = variant(args, entry.trim(), flags, modelDir, cost, out);
            if (out.stream().anyMatch(o -> o.name().equals(v.name()))) {
                throw args.error(OPTION, "'" + v.name() + "' given twice");
            }
            out.add(v);
        }
        for (Variant v : out) {
            if (!v.ladder().level(0).equals(out.get(0).ladder().level(0))) {
                throw args.error(
                        OPTION,
                        String.format(
                                Locale.ROOT,
                                "every ladder must start at the same level (the capacity is measured there),"
                                        + " but %s starts at %s and %s at %s",
                                out.get(0).name(),
                                out.get(0).ladder().level(0),
                                v.name(),
                                v.ladder().level(0)));
            }
        }
        return out;
    }

    static List<String> entries(String text) {
        if (text.contains("|") || text.contains("=")) {
            return List.of(text.split("\\|", -1));
        }
        List<String> out = new ArrayList<>();
        for (String part : text.split(",", -1)) {
            String t = part.trim();
            boolean continues =
                    !out.isEmpty() && !t.isEmpty() && (Character.isDigit(t.charAt(0)) || t.charAt(0) == '.');
            if (continues) {
                out.set(out.size() - 1, out.get(out.size() - 1) + "," + part);
            } else {
                out.add(part);
            }
        }
        return out;
    }

    /** A name for an unnamed ladder text: the families of its rungs above the first, then a number if taken. */
    private static String nameOf(Ladder ladder, List<Variant> taken) {
        List<String> families = new ArrayList<>();
        for (int i = 1; i < ladder.size(); i++) {
            String text = ladder.level(i).toString();
            String family = text.contains(":") ? text.substring(0, text.indexOf(':')) : text;
            if (!families.contains(family)) {
                families.add(family);
            }
        }
        String base = families.isEmpty() ? "ladder" : String.join("-", families);
        List<String> names = taken.stream().map(Variant::name).toList();
        String name = base;
        for (int k = 2; names.contains(name); k++) {
            name = base + "-" + k;
        }
        return name;
    }

    private static Variant variant(
            ParsedArgs args, String entry, Configuration flags, Path modelDir, CostModel cost, List<Variant> taken)
            throws UsageException {
        if (entry.isEmpty()) {
            throw args.error(OPTION, "an empty entry; expected derived, measured or NAME=LADDER");
        }
        int eq = entry.indexOf('=');
        if (eq < 0
                ? entry.contains(";") || entry.contains(":")
                : entry.substring(0, eq).matches(".*[;:].*")) {
            try {
                Ladder ladder = Ladder.parse(cost, entry);
                String name = nameOf(ladder, taken);
                return new Variant(
                        name, new LadderChoice(ladder, "given as " + OPTION + " (named " + name + ")", null));
            } catch (IllegalArgumentException e) {
                throw args.error(OPTION, "'" + entry + "': " + e.getMessage());
            }
        }
        if (eq < 0) {
            return switch (entry.toLowerCase(Locale.ROOT)) {
                case "derived" ->
                    new Variant(
                            "derived",
                            new LadderChoice(
                                    Ladder.tomeSteps(cost, ControlOptions.DERIVED_TOME_STEPS),
                                    "derived from the model: none plus " + ControlOptions.DERIVED_TOME_STEPS
                                            + " ToMe steps",
                                    null));
                case "measured" -> new Variant("measured", measured(args, flags, modelDir, cost));
                default ->
                    throw args.error(
                            OPTION, "unknown ladder '" + entry + "'; expected derived, measured or NAME=LADDER");
            };
        }
        String name = entry.substring(0, eq).trim();
        if (!name.matches("[a-z0-9][a-z0-9_-]*")) {
            throw args.error(
                    OPTION,
                    "ladder name '" + name + "' must be lower-case letters, digits, '-' or '_' (it names topics)");
        }
        String value = entry.substring(eq + 1).trim();
        if (value.endsWith(".json")) {
            return new Variant(name, measuredFile(args, name, Path.of(value), modelDir, cost));
        }
        try {
            Ladder ladder = Ladder.parse(cost, value);
            return new Variant(name, new LadderChoice(ladder, "given as " + OPTION + " " + name, null));
        } catch (IllegalArgumentException e) {
            throw args.error(OPTION, name + ": " + e.getMessage());
        }
    }

    /** A measured ladder file beside the model's weights, checked as the job checks ladder.json. */
    private static LadderChoice measuredFile(ParsedArgs args, String name, Path file, Path modelDir, CostModel cost)
            throws UsageException {
        if (!Files.isRegularFile(file)) {
            throw args.error(OPTION, name + ": no such file " + file);
        }
        Path dir = file.toAbsolutePath().normalize().getParent();
        if (!dir.equals(modelDir.toAbsolutePath().normalize())) {
            throw args.error(
                    OPTION,
                    name + ": " + file + " is not in the model directory " + modelDir
                            + " (a measured ladder is checked against the weights beside it)");
        }
        try {
            return LadderChoice.measured(file, cost);
        } catch (IllegalArgumentException e) {
            throw args.error(OPTION, name + ": " + e.getMessage());
        }
    }

    /** The model's ladder.json, checked as the job checks it at start. */
    private static LadderChoice measured(ParsedArgs args, Configuration flags, Path modelDir, CostModel cost)
            throws UsageException {
        Path file = modelDir.resolve(MeasuredLadder.FILE_NAME);
        if (!Files.isRegularFile(file)) {
            throw args.error(
                    OPTION,
                    "measured: no " + MeasuredLadder.FILE_NAME + " in " + modelDir
                            + "; measure it first: ladder --model " + modelDir
                            + " (--data DIR | --images DIR | --generator)");
        }
        Configuration c = new Configuration(flags);
        c.removeConfig(ControlOptions.LADDER);
        c.set(StreamJobOptions.MODEL_DIR, modelDir.toString());
        try {
            return LadderChoice.resolve(c, cost);
        } catch (IllegalArgumentException e) {
            throw args.error(OPTION, "measured: " + e.getMessage());
        }
    }
}
