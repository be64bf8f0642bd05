package org.tocomstream.job.tocom;

import ai.djl.Device;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import org.tocomstream.compensate.BoundCompensator;
import org.tocomstream.compensate.CompensatorCalibration;
import org.tocomstream.compensate.CompensatorEvaluation;
import org.tocomstream.compensate.CompensatorMode;
import org.tocomstream.compensate.CompensatorPair;
import org.tocomstream.compensate.TokenCompensator;
import org.tocomstream.data.SceneGenerator;
import org.tocomstream.job.cli.Cli;
import org.tocomstream.job.cli.CommandFailedException;
import org.tocomstream.job.cli.DataOptions;
import org.tocomstream.job.cli.DeviceOption;
import org.tocomstream.job.cli.OptionParser;
import org.tocomstream.job.cli.ParsedArgs;
import org.tocomstream.job.cli.UsageException;
import org.tocomstream.model.ImagePreprocessor;
import org.tocomstream.model.VitModel;
import org.tocomstream.model.train.GeneratedData;
import org.tocomstream.model.train.ImageFolderData;
import org.tocomstream.model.train.TrainingData;

/** {@code tocom eval}: its options, their checks, the run and its report. */
public record TocomEvalRun(Settings s, PrintStream err) {

    static final String MODEL = "--model";
    static final String PLUGIN = "--plugin";
    static final String TEST_SIZE = "--test-size";
    static final String GRID = "--grid";
    static final String SCALE = "--scale";
    static final String MODE = "--mode";
    static final String BATCH = "--batch";
    static final String JSON = "--json";
    static final String HEATMAP = "--heatmap";

    static final OptionParser PARSER = RungOptions.declare(
                    DataOptions.declare(new OptionParser("tocom eval")
                            .value(MODEL, "DIR", "model directory (required)")
                            .value(
                                    PLUGIN,
                                    "FILE",
                                    "plugin file trained for that model, or for its base when the\n"
                                            + "model directory holds a calibration for it (required)")),
                    "every pair among rungs of the plugin")
            .value(TEST_SIZE, "N", "generated test scenes, TEST split (default 1000)")
            .value(
                    GRID,
                    "LIST",
                    "pairs: 'all' (default: every m, n in 0..max degree), degrees\n"
                            + "'0,2,4' (all pairs among them) or pairs '0->4,4->0'")
            .value(SCALE, "S", "scale s (default the plugin's)")
            .value(MODE, "MODE", "side (default) or merged")
            .value(BATCH, "N", "images per forward pass (default 64)")
            .value(JSON, "FILE", "also write the results as JSON")
            .value(
                    HEATMAP,
                    "FILE",
                    "also write a PNG heat map of the grid: KL reduction and,\n"
                            + "with labelled images, top-1 change per (m, n)")
            .deviceAndCommonFlags();

    static final String HELP = "tocom eval: for each pair (m, n) of the grid, on held-out images: the KL divergence\n"
            + "from the model at ToMe r = m to the model at r = n, without and with the plugin's\n"
            + "Δ(m→n), and top-1 accuracy at m, at n and at n with the plugin. Data: an image\n"
            + "folder DIR/<class>/<image> (classes among the model's labels) or the generator's\n"
            + "TEST split. Output: a table on stdout, one row per pair, then the means over the\n"
            + "pairs with m != n; --json FILE writes the same (schemaVersion "
            + TocomEvalReport.SCHEMA_VERSION + "):\n"
            + "  model, plugin, architecture, trainedCompression, baseWeightsSha256, scale, mode,\n"
            + "  images, levels (a rung plugin's levels, else null), calibration (null, or file,\n"
            + "  rule, images, referenceScale, pairs[]: m, n, pair, factor, off), cells[]: m, n,\n"
            + "  pair (as labels name it), factor (the calibration's, else null), klPlain,\n"
            + "  klCompensated, accuracyAtM, accuracyPlain,\n"
            + "  accuracyCompensated; summary: mismatchedPairs, meanKlPlain, meanKlCompensated,\n"
            + "  klReduction (1 - compensated / plain), meanTop1Gain (accuracy fractions)\n"
            + "--heatmap FILE writes the grid as a PNG (rows m, columns n).\n"
            + "The plugin is resolved as the stream does: trained for --model itself, or for its\n"
            + "base with a calibration (tocom-scales.json) in --model for it; each pair then runs\n"
            + "at s x its factor, the default grid is the stream's pairs (trained -> every n), and\n"
            + "the calibrated pairs are listed (factor, or off). For a plugin over rungs pairs are\n"
            + "named by their levels (none->evit:0.7); --levels/--ladder pick rungs of it.\n\n"
            + "options:\n"
            + PARSER.optionsHelp();

    record Settings(
            Path model,
            Path plugin,
            Path data,
            SceneGenerator generator,
            int testSize,
            String grid,
            RungOptions rungs,
            Double scale,
            CompensatorMode mode,
            int batch,
            Path json,
            Path heatmap,
            Device device) {}

    static Settings settings(String[] argv) throws UsageException {
        ParsedArgs args = PARSER.parseOptions(argv, MODEL, PLUGIN);
        DataOptions.check(args, TEST_SIZE);
        RungOptions rungs = RungOptions.parse(args);
        args.atMostOne(GRID, RungOptions.LEVELS);
        args.atMostOne(GRID, RungOptions.LADDER);
        String grid = args.string(GRID, "all").trim();
        // Checked now for its syntax; the range is checked against the plugin once it is loaded.
        pairs(args, grid, 0, true);
        double scale = args.number(SCALE, x -> x >= 0, "a number >= 0").orElse(Double.NaN);
        String mode = args.string(MODE, "side");
        CompensatorMode m;
        switch (mode) {
            case "side":
                m = CompensatorMode.SIDE_BRANCH;
                break;
            case "merged":
                m = CompensatorMode.MERGED;
                break;
            default:
                throw args.error(MODE, "expected side or merged but got '" + mode + "'");
        }
        return new Settings(
                args.path(MODEL).orElseThrow(),
                args.path(PLUGIN).orElseThrow(),
                args.path(DataOptions.DATA).orElse(null),
                DataOptions.generator(args),
                args.positiveInt(TEST_SIZE, 1000),
                args.has(GRID) ? grid : null,
                rungs,
                Double.isNaN(scale) ? null : scale,
                m,
                args.positiveInt(BATCH, 64),
                args.path(JSON).orElse(null),
                args.path(HEATMAP).orElse(null),
                DeviceOption.parse(args));
    }

    /**
     * The grid's pairs. With {@code syntaxOnly} only the text is checked (the plugin's range is not
     * known yet).
     */
    static List<CompensatorPair> pairs(ParsedArgs args, String grid, int maxDegree, boolean syntaxOnly)
            throws UsageException {
        if (grid.equals("all")) {
            return CompensatorEvaluation.allPairs(maxDegree);
        }
        List<String> items = List.of(grid.split(",", -1));
        LinkedHashSet<CompensatorPair> pairs = new LinkedHashSet<>();
        try {
            if (items.stream().allMatch(i -> i.contains("->"))) {
                for (String i : items) {
                    pairs.add(CompensatorPair.parse(i));
                }
            } else {
                List<Integer> degrees = new ArrayList<>();
                for (String i : items) {
                    int r = Integer.parseInt(i.trim());
                    if (r < 0) {
                        throw new IllegalArgumentException("negative degree " + r);
                    }
                    degrees.add(r);
                }
                for (int m : degrees) {
                    for (int n : degrees) {
                        pairs.add(new CompensatorPair(m, n));
                    }
                }
            }
        } catch (IllegalArgumentException e) {
            throw args.error(GRID, "expected all, degrees like 0,2,4 or pairs like 0->4,4->0 but got '" + grid + "'");
        }
        if (!syntaxOnly) {
            for (CompensatorPair p : pairs) {
                if (p.from() > maxDegree || p.to() > maxDegree) {
                    throw args.error(
                            GRID, String.format("pair %s is outside the plugin's degree range 0..%d", p, maxDegree));
                }
            }
        }
        return new ArrayList<>(pairs);
    }

    int execute(PrintStream out) throws CommandFailedException, UsageException {
        EvalPlugin resolved = EvalPlugin.resolve(s.plugin(), s.model());
        TokenCompensator plugin = resolved.plugin();
        CompensatorCalibration calibration = resolved.calibration();
        List<CompensatorPair> grid = s.grid() != null
                ? pairs(
                        new ParsedArgs(PARSER.command(), java.util.Map.of(), List.of()),
                        s.grid(),
                        plugin.config().maxDegree(),
                        false)
                : resolved.defaultGrid(s.rungs().axis());
        double scale = s.scale() != null ? s.scale() : plugin.defaultScale(calibration);
        VitModel model;
        try {
            model = VitModel.load(s.model(), s.device());
        } catch (IOException | RuntimeException e) {
            throw new CommandFailedException("cannot load model from " + s.model() + ": " + Cli.describe(e), e);
        }
        try (model;
                BoundCompensator tocom = plugin.bind(model, s.mode(), calibration)) {
            ImagePreprocessor pre = new ImagePreprocessor(model.spec().preprocessing());
            TrainingData data;
            if (s.generator() != null) {
                SceneGenerator test = s.generator().split(SceneGenerator.Split.TEST);
                if (!model.spec().labels().equals(test.labels())) {
                    throw new CommandFailedException(String.format(
                            "the labels of --model %s %s differ from the generator's %s",
                            s.model(), model.spec().labels(), test.labels()));
                }
                data = new GeneratedData(test, s.testSize(), pre);
            } else {
                try {
                    data = ImageFolderData.open(s.data(), model.spec().labels(), pre);
                } catch (IOException e) {
                    throw new CommandFailedException("cannot read --data: " + Cli.describe(e), e);
                }
            }
            List<CompensatorEvaluation.Cell> cells;
            try {
                cells = CompensatorEvaluation.run(
                        model, tocom, data, grid, scale, s.batch(), line -> err.println("tocom eval: " + line));
            } catch (RuntimeException e) {
                throw new CommandFailedException("evaluation failed: " + Cli.describe(e), e);
            }
            TocomEvalReport report = TocomEvalReport.of(
                    s.model().toString(),
                    s.plugin().toString(),
                    model.spec(),
                    plugin,
                    scale,
                    s.mode() == CompensatorMode.MERGED ? "merged" : "side",
                    data.size(),
                    cells,
                    calibration,
                    resolved.calibrationFile());
            report.printTable(out);
            if (s.json() != null) {
                try {
                    report.writeJson(s.json());
                } catch (IOException e) {
                    throw new CommandFailedException("cannot write " + s.json() + ": " + Cli.describe(e), e);
                }
            }
            if (s.heatmap() != null) {
                try {
                    TocomHeatmap.write(report, s.heatmap());
                } catch (IOException e) {
                    throw new CommandFailedException("cannot write " + s.heatmap() + ": " + Cli.describe(e), e);
                }
            }
            return Cli.OK;
        }
    }
}
