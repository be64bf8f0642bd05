package org.tocomstream.job.train;

import ai.djl.Device;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.compress.CostModel;
import org.tocomstream.compress.MacsMatch;
import org.tocomstream.compress.TokenCounts;
import org.tocomstream.data.SceneGenerator;
import org.tocomstream.job.cli.Cli;
import org.tocomstream.job.cli.Command;
import org.tocomstream.job.cli.CommandFailedException;
import org.tocomstream.job.cli.CompressionOptions;
import org.tocomstream.job.cli.DataOptions;
import org.tocomstream.job.cli.DeviceOption;
import org.tocomstream.job.cli.OptionParser;
import org.tocomstream.job.cli.ParsedArgs;
import org.tocomstream.job.cli.UsageException;
import org.tocomstream.model.ImagePreprocessor;
import org.tocomstream.model.VitConfig;
import org.tocomstream.model.VitModel;
import org.tocomstream.model.train.GeneratedData;
import org.tocomstream.model.train.ImageFolderData;
import org.tocomstream.model.train.TrainingData;

/**
 * {@code evaluate}: top-1 accuracy of a model directory on held-out data at each of a list of
 * compression levels, through the serving forward pass ({@link VitModel#logits}), with the
 * CostModel's MACs per level. See {@link #help()}.
 */
public final class EvaluateCommand implements Command {

    private static final String MODEL = "--model";
    private static final String TEST_SIZE = "--test-size";
    private static final String LEVELS = "--levels";
    private static final String BATCH = "--batch";
    private static final String JSON = "--json";
    private static final String MATCH_MACS = "--match-macs";
    private static final String FAMILIES = "--families";

    static final int DEFAULT_TEST_SIZE = 2000;
    static final List<Double> DEFAULT_EVIT_RATES = List.of(0.9, 0.8, 0.7);

    private final OptionParser parser = DataOptions.declare(
                    new OptionParser("evaluate").value(MODEL, "DIR", "model directory (required)"))
            .value(TEST_SIZE, "N", "generated test scenes, TEST split (default 2000)")
            .value(
                    LEVELS,
                    "LIST",
                    "levels, comma-separated (a ToMe r or level texts without commas),\nor semicolon-separated (any level text)\n"
                            + "(default 0,1,..,max r, evit:0.9,evit:0.8,evit:0.7)")
            .value(BATCH, "N", "images per forward pass (default 64)")
            .value(JSON, "FILE", "also write the results as JSON")
            .value(
                    MATCH_MACS,
                    "LIST",
                    "fractions of the uncompressed MACs such as 0.8,0.6,0.45,0.3: for each, the level\n"
                            + "of every --families family closest in MACs is evaluated too (default levels: none)")
            .value(FAMILIES, "LIST", "families for --match-macs (default tome,tome-decreasing,evit,gtp,idle)")
            .deviceAndCommonFlags();

    @Override
    public String name() {
        return "evaluate";
    }

    @Override
    public String summary() {
        return "held-out top-1 accuracy of a model at each compression level";
    }

    @Override
    public String help() {
        return "usage: evaluate --model DIR (--data DIR | --generator [--data-seed N] [--test-size N]\n"
                + "                [--frame-size PX]) [--levels LIST] [--batch N] [--json FILE]\n"
                + "                [--device DEV]\n\n"
                + "Top-1 accuracy on held-out data at each level, through the same forward pass as\n"
                + "predict and the streaming job, images preprocessed as model.json says. Data: an\n"
                + "image folder DIR/<class>/<image> (every class directory must be one of the\n"
                + "model's labels), or --test-size scenes of the generator's TEST split of\n"
                + "--data-seed (the model's labels must be the generator's). Each batch is run at\n"
                + "every level before the next, so images are decoded once.\n\n"
                + "Default levels: ToMe r = 0, 1, .., max r, where max r is the largest constant r\n"
                + "whose last block still merges tokens and that differs from r - 1 after ToMe's\n"
                + "clamp, for this architecture (vit_test_tiny: 6, DeiT-S: 27); then evit:0.9,\n"
                + "evit:0.8, evit:0.7 when the architecture has the EViT blocks 4, 7 and 10.\n\n"
                + "Output: progress on stderr; on stdout one header line and the table\n"
                + "  level  accuracy %  GMACs/img (CostModel)  rel. MACs (MACs / MACs at none)\n"
                + "and with --match-macs a second table: per target and family, the level picked\n"
                + "(its MACs closest to the target; the walk per family is MacsMatch's), its rel.\n"
                + "MACs and accuracy. A family that cannot reach a target shows its nearest level.\n\n"
                + "options:\n"
                + parser.optionsHelp()
                + "\nJSON fields (schemaVersion " + EvaluateReport.SCHEMA_VERSION + "):\n"
                + "  model (the --model path), architecture (name), trainedCompression, labels[],\n"
                + "  data: source (generator|folder), path (folder, else null), seed, split,\n"
                + "    frameSize (generator, else null), images\n"
                + "  maxMergingR: the largest constant ToMe r whose last block still merges\n"
                + "  rows[]: level (text), tomeR (constant ToMe r, 0 for none, else null),\n"
                + "    accuracy (fraction in [0, 1]), correct, gmacsPerImage, relativeMacs\n"
                + "  matched[] (with --match-macs, else null): target, family, level, relativeMacs,\n"
                + "    accuracy\n";
    }

    @Override
    public int run(String[] argv, PrintStream out, PrintStream err) throws UsageException, CommandFailedException {
        ParsedArgs args = parser.parseOptions(argv, MODEL);
        DataOptions.check(args, TEST_SIZE);
        args.requires(FAMILIES, MATCH_MACS);
        List<Double> targets =
                args.numberList(MATCH_MACS, List.of(), true, d -> d > 0 && d <= 1, "distinct fractions in (0, 1]");
        List<MacsMatch.Family> families = families(args);
        List<CompressionLevel> levels = new ArrayList<>();
        for (String item : args.levelList(LEVELS)) {
            CompressionLevel level = CompressionOptions.parseLevel(args, LEVELS, item);
            if (levels.contains(level)) {
                throw args.error(LEVELS, "level " + level + " is listed twice");
            }
            levels.add(level);
        }
        int batch = args.positiveInt(BATCH, 64);
        int testSize = args.positiveInt(TEST_SIZE, DEFAULT_TEST_SIZE);
        Path json = args.path(JSON).orElse(null);
        SceneGenerator generator = DataOptions.generator(args);
        Path folder = args.path(DataOptions.DATA).orElse(null);
        Path modelDir = args.path(MODEL).orElseThrow();
        Device device = DeviceOption.parse(args);

        try (VitModel model = load(modelDir, device)) {
            VitConfig cfg = model.config();
            if (levels.isEmpty()) {
                levels = targets.isEmpty() ? defaultLevels(cfg) : new ArrayList<>(List.of(CompressionLevel.none()));
            }
            List<MacsMatch.Match> matches = new ArrayList<>();
            for (double target : targets) {
                for (MacsMatch.Family family : families) {
                    MacsMatch.Match m = MacsMatch.closest(family, cfg.geometry(), target);
                    matches.add(m);
                    if (!levels.contains(m.level())) {
                        levels.add(m.level());
                    }
                }
            }
            for (CompressionLevel level : levels) {
                CompressionOptions.requireFits(args, LEVELS, level, cfg);
            }
            ImagePreprocessor pre = new ImagePreprocessor(model.spec().preprocessing());
            TrainingData data;
            EvaluateReport.Data described;
            if (generator != null) {
                SceneGenerator test = generator.split(SceneGenerator.Split.TEST);
                if (!model.spec().labels().equals(test.labels())) {
                    throw new CommandFailedException(String.format(
                            "the labels of --model %s %s differ from the generator's %s",
                            modelDir, model.spec().labels(), test.labels()));
                }
                data = new GeneratedData(test, testSize, pre);
                described = new EvaluateReport.Data(
                        "generator",
                        null,
                        test.seed(),
                        test.split().name(),
                        test.config().width(),
                        testSize);
            } else {
                try {
                    data = ImageFolderData.open(folder, model.spec().labels(), pre);
                } catch (IOException e) {
                    throw new CommandFailedException("cannot read --data: " + Cli.describe(e), e);
                }
                described = new EvaluateReport.Data("folder", folder.toString(), null, null, null, data.size());
            }
            long[] correct = evaluate(model, data, levels, batch, err);
            EvaluateReport report = report(modelDir, model, described, levels, correct, matches);
            report.printTable(out);
            if (json != null) {
                try {
                    report.writeJson(json);
                } catch (IOException e) {
                    throw new CommandFailedException("cannot write " + json + ": " + Cli.describe(e), e);
                }
            }
            return Cli.OK;
        }
    }

    /**
     * The largest constant ToMe r up to which every step r - 1 → r still changes something and
     * the last block still merges: counting up from r = 1, stop before the first r whose last
     * block merges nothing (the earlier blocks left it too few tokens) or whose token counts equal
     * those of r - 1 (ToMe's clamp to half the tokens makes larger r identical, as in shallow
     * models). 0 when r = 1 already stops.
     */
    public static int maxMergingR(VitConfig cfg) {
        int depth = cfg.depth();
        int[] previous = TokenCounts.afterEachBlock(cfg.geometry(), CompressionLevel.none());
        for (int r = 1; ; r++) {
            int[] after = TokenCounts.afterEachBlock(cfg.geometry(), CompressionLevel.tome(r));
            int beforeLast = depth >= 2 ? after[depth - 2] : cfg.numTokens();
            if (after[depth - 1] == beforeLast || Arrays.equals(after, previous)) {
                return r - 1;
            }
            previous = after;
        }
    }

    /** ToMe r = 0..maxMergingR, then the EViT rates when the default EViT blocks all exist. */
    static List<CompressionLevel> defaultLevels(VitConfig cfg) {
        List<CompressionLevel> levels = new ArrayList<>();
        for (int r = 0; r <= maxMergingR(cfg); r++) {
            levels.add(CompressionLevel.tome(r));
        }
        for (double rate : DEFAULT_EVIT_RATES) {
            CompressionLevel evit = CompressionLevel.evit(rate);
            if (Arrays.stream(evit.evitBlocks()).allMatch(b -> b < cfg.depth())) {
                levels.add(evit);
            }
        }
        return levels;
    }

    private static VitModel load(Path dir, Device device) throws CommandFailedException {
        try {
            return VitModel.load(dir, device);
        } catch (IOException | RuntimeException e) {
            throw new CommandFailedException("cannot load model from " + dir + ": " + Cli.describe(e), e);
        }
    }

    /** Correct predictions per level; every batch runs at all levels before the next is decoded. */
    private static long[] evaluate(
            VitModel model, TrainingData data, List<CompressionLevel> levels, int batch, PrintStream err)
            throws CommandFailedException {
        VitConfig cfg = model.config();
        int perImage = cfg.inChannels() * cfg.imageSize() * cfg.imageSize();
        long[] correct = new long[levels.size()];
        long start = System.nanoTime();
        int reportEvery = Math.max(batch, data.size() / 10);
        int nextReport = reportEvery;
        for (int first = 0; first < data.size(); first += batch) {
            int n = Math.min(batch, data.size() - first);
            float[] pixels = new float[n * perImage];
            int[] labels = new int[n];
            for (int i = 0; i < n; i++) {
                TrainingData.Example ex;
                try {
                    ex = data.get(first + i, null);
                } catch (RuntimeException e) {
                    throw new CommandFailedException(Cli.describe(e), e);
                }
                System.arraycopy(ex.pixels(), 0, pixels, i * perImage, perImage);
                labels[i] = ex.label();
            }
            long[] shape = {n, cfg.inChannels(), cfg.imageSize(), cfg.imageSize()};
            for (int l = 0; l < levels.size(); l++) {
                float[][] logits;
                try {
                    logits = model.logits(pixels, shape, levels.get(l));
                } catch (RuntimeException e) {
                    throw new CommandFailedException(
                            "forward pass failed at level " + levels.get(l) + ": " + Cli.describe(e), e);
                }
                for (int i = 0; i < n; i++) {
                    if (argMax(logits[i]) == labels[i]) {
                        correct[l]++;
                    }
                }
            }
            int done = first + n;
            if (done >= nextReport || done == data.size()) {
                double sec = (System.nanoTime() - start) / 1e9;
                err.printf(
                        Locale.ROOT,
                        "evaluate: %d/%d images at %d levels, %.1f s, ETA %.0f s%n",
                        done,
                        data.size(),
                        levels.size(),
                        sec,
                        sec / done * (data.size() - done));
                nextReport = done + reportEvery;
            }
        }
        return correct;
    }

    private static int argMax(float[] row) {
        int best = 0;
        for (int i = 1; i < row.length; i++) {
            if (row[i] > row[best]) {
                best = i;
            }
        }
        return best;
    }

    private static List<MacsMatch.Family> families(ParsedArgs args) throws UsageException {
        List<MacsMatch.Family> out = new ArrayList<>();
        List<String> items = args.has(FAMILIES) ? args.list(FAMILIES) : List.of();
        if (items.isEmpty()) {
            return List.of(MacsMatch.Family.values());
        }
        for (String item : items) {
            try {
                MacsMatch.Family f = MacsMatch.Family.parse(item);
                if (out.contains(f)) {
                    throw args.error(FAMILIES, "family " + item + " is listed twice");
                }
                out.add(f);
            } catch (IllegalArgumentException e) {
                throw args.error(FAMILIES, e.getMessage());
            }
        }
        return out;
    }

    private static EvaluateReport report(
            Path modelDir,
            VitModel model,
            EvaluateReport.Data data,
            List<CompressionLevel> levels,
            long[] correct,
            List<MacsMatch.Match> matches) {
        VitConfig cfg = model.config();
        CostModel cost = CostModel.of(cfg.geometry());
        double dense = cost.macs(CompressionLevel.none());
        List<EvaluateReport.Row> rows = new ArrayList<>();
        for (int l = 0; l < levels.size(); l++) {
            CompressionLevel level = levels.get(l);
            rows.add(new EvaluateReport.Row(
                    level.toString(),
                    level.tomeDegree().isPresent()
                            ? Integer.valueOf(level.tomeDegree().getAsInt())
                            : null,
                    (double) correct[l] / data.images(),
                    correct[l],
                    cost.gmacs(level),
                    cost.macs(level) / dense));
        }
        return new EvaluateReport(
                EvaluateReport.SCHEMA_VERSION,
                modelDir.toString(),
                cfg.name(),
                model.spec().trainedCompression().toString(),
                model.spec().labels(),
                data,
                maxMergingR(cfg),
                rows,
                matched(matches, levels, rows));
    }

    private static List<EvaluateReport.Matched> matched(
            List<MacsMatch.Match> matches, List<CompressionLevel> levels, List<EvaluateReport.Row> rows) {
        if (matches.isEmpty()) {
            return null;
        }
        List<EvaluateReport.Matched> out = new ArrayList<>();
        for (MacsMatch.Match m : matches) {
            EvaluateReport.Row row = rows.get(levels.indexOf(m.level()));
            out.add(new EvaluateReport.Matched(
                    m.target(), m.family().text(), row.level(), row.relativeMacs(), row.accuracy()));
        }
        return out;
    }
}
