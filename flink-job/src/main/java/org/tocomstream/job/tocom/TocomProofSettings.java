package org.tocomstream.job.tocom;

import ai.djl.Device;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.tocomstream.data.SceneGenerator;
import org.tocomstream.job.cli.DataOptions;
import org.tocomstream.job.cli.DeviceOption;
import org.tocomstream.job.cli.OptionParser;
import org.tocomstream.job.cli.ParsedArgs;
import org.tocomstream.job.cli.UsageException;

/**
 * The options of {@code tocom proof} ({@link TocomProofRun}): declared with their help text, and
 * parsed and checked into this record.
 */
record TocomProofSettings(
        Path plugin,
        List<Path> models,
        List<Integer> degrees,
        List<Double> scales,
        SceneGenerator generator,
        int tuneSize,
        int testSize,
        int bootstrap,
        int batch,
        Path json,
        Path heatmap,
        Path calibrateWith,
        boolean lineSearch,
        Device device) {

    static final String PLUGIN = "--plugin";
    static final String MODELS = "--models";
    static final String DEGREES = "--degrees";
    static final String SCALES = "--scales";
    static final String TUNE_SIZE = "--tune-size";
    static final String TEST_SIZE = "--test-size";
    static final String BOOTSTRAP = "--bootstrap";
    static final String BATCH = "--batch";
    static final String JSON = "--json";
    static final String HEATMAP = "--heatmap";
    static final String CALIBRATE_WITH = "--calibrate-with";
    static final String LINE_SEARCH = "--line-search";

    static final OptionParser PARSER = DataOptions.declare(new OptionParser("tocom proof")
                    .value(PLUGIN, "FILE", "plugin trained on the base model (required)")
                    .value(
                            MODELS,
                            "DIRS",
                            "comma-separated model directories fine-tuned from that\n"
                                    + "base, each at its trainedCompression m (none or tome:m) (required)"))
            .value(DEGREES, "LIST", "inference degrees n (default: the models' m values)")
            .value(SCALES, "LIST", "candidate scales s (default 0.05,0.1,0.2,0.4)")
            .value(TUNE_SIZE, "N", "VALIDATION scenes s is chosen on (default 500)")
            .value(TEST_SIZE, "N", "TEST scenes everything is measured on (default 1000)")
            .value(BOOTSTRAP, "N", "bootstrap resamples of the test images (default 2000)")
            .value(BATCH, "N", "images per forward pass (default 64)")
            .value(JSON, "FILE", "also write the results as JSON")
            .value(HEATMAP, "FILE", "also write the (m, n) heat map as PNG")
            .value(
                    CALIBRATE_WITH,
                    "DIR",
                    "the plugin's base model: scale each pair's delta by\n"
                            + "min(1, sqrt(KL_model / KL_base)) of plain KLs measured on the\n"
                            + "VALIDATION split (CompensatorCalibration); default: one s for all")
            .flag(
                    LINE_SEARCH,
                    "per model and pair, the scale of --scales (or none) whose KL to\n"
                            + "the model itself at m is least on the VALIDATION split (kl-line-search,\n"
                            + "as tocom calibrate --rule kl-line-search), instead of one s for all")
            .deviceAndCommonFlags();

    static final String HELP = "tocom proof: the paper's setting. The plugin trained once on the base model is\n"
            + "applied to models fine-tuned from it at several training degrees m; each\n"
            + "model is evaluated at every n without and with Δ(m→n). s is chosen on the\n"
            + "generator's VALIDATION split, the numbers are from its TEST split; the mean\n"
            + "top-1 gain over the pairs with m != n gets a 95 % bootstrap interval over the\n"
            + "test images. Prints the table, the choice of s and its four checks\n"
            + "(KL lower for every mismatched pair and >= 30 % lower on average; mean top-1\n"
            + "gain > 0 with the interval above 0; no pair below -0.3 points). With\n"
            + "--calibrate-with, each pair runs at s times its tocom calibrate factor; with\n"
            + "--line-search, at its own scale from --scales chosen on VALIDATION.\n\n"
            + "options:\n"
            + PARSER.optionsHelp();

    static TocomProofSettings parse(String[] argv) throws UsageException {
        ParsedArgs args = PARSER.parseOptions(argv, PLUGIN, MODELS);
        DataOptions.check(args);
        if (!args.has(DataOptions.GENERATOR)) {
            throw args.error(DataOptions.DATA, "tocom proof needs --generator (it tunes s on the VALIDATION split)");
        }
        List<Path> models = new ArrayList<>();
        for (String m : args.list(MODELS)) {
            models.add(Path.of(m));
        }
        List<Integer> degrees = new ArrayList<>();
        if (args.has(DEGREES)) {
            for (String d : args.list(DEGREES)) {
                try {
                    int r = Integer.parseInt(d.trim());
                    if (r < 0) {
                        throw new NumberFormatException();
                    }
                    degrees.add(r);
                } catch (NumberFormatException e) {
                    throw args.error(DEGREES, "expected ToMe degrees >= 0 but got '" + d + "'");
                }
            }
        }
        if (args.has(LINE_SEARCH) && args.has(CALIBRATE_WITH)) {
            throw args.error(LINE_SEARCH, "give either " + LINE_SEARCH + " or " + CALIBRATE_WITH + ", not both");
        }
        List<Double> scales = args.numberList(SCALES, List.of(0.05, 0.1, 0.2, 0.4), false, v -> v >= 0, "scales >= 0");
        if (args.has(LINE_SEARCH) && scales.stream().noneMatch(v -> v > 0)) {
            throw args.error(SCALES, LINE_SEARCH + " needs at least one scale > 0");
        }
        return new TocomProofSettings(
                args.path(PLUGIN).orElseThrow(),
                models,
                degrees,
                scales,
                DataOptions.generator(args),
                args.positiveInt(TUNE_SIZE, 500),
                args.positiveInt(TEST_SIZE, 1000),
                args.positiveInt(BOOTSTRAP, 2000),
                args.positiveInt(BATCH, 64),
                args.path(JSON).orElse(null),
                args.path(HEATMAP).orElse(null),
                args.path(CALIBRATE_WITH).orElse(null),
                args.has(LINE_SEARCH),
                DeviceOption.parse(args));
    }
}
