package org.tocomstream.job.tocom;

import ai.djl.Device;
import com.google.gson.GsonBuilder;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Random;
import java.util.TreeSet;
import org.tocomstream.job.cli.JsonFiles;
import org.tocomstream.compensate.BoundCompensator;
import org.tocomstream.compensate.CompensatorCalibration;
import org.tocomstream.compensate.CompensatorEvaluation;
import org.tocomstream.compensate.CompensatorMode;
import org.tocomstream.compensate.CompensatorPair;
import org.tocomstream.compensate.DegreeSchedule;
import org.tocomstream.compensate.TokenCompensator;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.data.SceneGenerator;
import org.tocomstream.model.ImagePreprocessor;
import org.tocomstream.model.ModelSpec;
import org.tocomstream.model.VitModel;
import org.tocomstream.model.train.GeneratedData;
import org.tocomstream.model.train.TrainingData;
import org.tocomstream.job.cli.Cli;
import org.tocomstream.job.cli.CommandFailedException;
import org.tocomstream.job.cli.DataOptions;
import org.tocomstream.job.cli.DeviceOption;
import org.tocomstream.job.cli.OptionParser;
import org.tocomstream.job.cli.ParsedArgs;
import org.tocomstream.job.cli.UsageException;

/**
 * {@code tocom proof}: the ToCom paper's setting at small scale. One plugin, trained once on the
 * base model, is applied to models fine-tuned from that base at training degrees m (their
 * {@code trainedCompression}); every model is evaluated at every inference degree n, without and
 * with Δ(m→n). The scale s is chosen on the generator's VALIDATION split (largest pooled KL
 * reduction over the mismatched pairs), then everything is measured on the TEST split: KL to the
 * same model at its own m, top-1, and a bootstrap over the test images of the mean top-1 gain.
 * With {@code --calibrate-with BASE}, each model's pairs run at s times their {@link
 * CompensatorCalibration} factors, measured (without labels) on the same VALIDATION scenes.
 */
public final class TocomProofRun {

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

    static final OptionParser PARSER =
            DataOptions.declare(
                            new OptionParser("tocom proof")
                                    .value(PLUGIN, "FILE", "plugin trained on the base model (required)")
                                    .value(MODELS, "DIRS", "comma-separated model directories fine-tuned from that\n"
                                            + "base, each at its trainedCompression m (none or tome:m) (required)"))
                    .value(DEGREES, "LIST", "inference degrees n (default: the models' m values)")
                    .value(SCALES, "LIST", "candidate scales s (default 0.05,0.1,0.2,0.4)")
                    .value(TUNE_SIZE, "N", "VALIDATION scenes s is chosen on (default 500)")
                    .value(TEST_SIZE, "N", "TEST scenes everything is measured on (default 1000)")
                    .value(BOOTSTRAP, "N", "bootstrap resamples of the test images (default 2000)")
                    .value(BATCH, "N", "images per forward pass (default 64)")
                    .value(JSON, "FILE", "also write the results as JSON")
                    .value(HEATMAP, "FILE", "also write the (m, n) heat map as PNG")
                    .value(CALIBRATE_WITH, "DIR", "the plugin's base model: scale each pair's delta by\n"
                            + "min(1, sqrt(KL_model / KL_base)) of plain KLs measured on the\n"
                            + "VALIDATION split (CompensatorCalibration); default: one s for all")
                    .flag(LINE_SEARCH, "per model and pair, the scale of --scales (or none) whose KL to\n"
                            + "the model itself at m is least on the VALIDATION split (kl-line-search,\n"
                            + "as tocom calibrate --rule kl-line-search), instead of one s for all")
                    .value(DeviceOption.NAME, "DEV", "cpu (default), gpu, gpuN")
                    .flag(Cli.VERBOSE, "stack traces on failure")
                    .flag("--help", "this text");

    static final String HELP =
            "tocom proof: the paper's setting. The plugin trained once on the base model is\n"
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

    record Settings(
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
            Device device) {}

    private final Settings s;
    private final PrintStream err;

    TocomProofRun(Settings settings, PrintStream err) {
        this.s = settings;
        this.err = err;
    }

    static Settings settings(String[] argv) throws UsageException {
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
        return new Settings(
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

    /** One fine-tuned model: its directory, its training degree and its pairs (m → n) for every n. */
    private record Member(Path dir, ModelSpec spec, String sha, int m, List<CompensatorPair> pairs, boolean isBase) {}

    /** With {@code --calibrate-with} or {@code --line-search}: each model's factors, by its m. */
    private final Map<Integer, CompensatorCalibration> calibrations = new LinkedHashMap<>();

    int execute(PrintStream out) throws CommandFailedException {
        TokenCompensator plugin;
        try {
            plugin = TokenCompensator.load(s.plugin());
        } catch (IOException | RuntimeException e) {
            throw new CommandFailedException("cannot load --plugin " + s.plugin() + ": " + Cli.describe(e), e);
        }
        int maxDegree = plugin.config().maxDegree();
        List<Member> members = new ArrayList<>();
        TreeSet<Integer> degreeSet = new TreeSet<>(s.degrees());
        for (Path dir : s.models()) {
            ModelSpec spec;
            String sha;
            try {
                spec = ModelSpec.read(dir);
                sha = TokenCompensator.weightsSha256(dir);
            } catch (IOException | RuntimeException e) {
                throw new CommandFailedException("cannot read model " + dir + ": " + Cli.describe(e), e);
            }
            int m = degreeOf(plugin.config().schedule(), spec.trainedCompression(), dir);
            if (m > maxDegree) {
                throw new CommandFailedException(String.format(Locale.ROOT,
                        "model %s was trained at %s, beyond the plugin's degrees 0..%d", dir,
                        spec.trainedCompression(), maxDegree));
            }
            for (Member other : members) {
                if (other.m() == m) {
                    throw new CommandFailedException(String.format(Locale.ROOT,
                            "models %s and %s were both trained at m = %d; give one model per training degree",
                            other.dir(), dir, m));
                }
            }
            if (s.degrees().isEmpty()) {
                degreeSet.add(m);
            }
            members.add(new Member(dir, spec, sha, m, new ArrayList<>(), sha.equals(plugin.baseWeightsSha256())));
        }
        for (int n : degreeSet) {
            if (n > maxDegree) {
                throw new CommandFailedException(String.format(Locale.ROOT,
                        "%s: degree %d is beyond the plugin's degrees 0..%d", DEGREES, n, maxDegree));
            }
        }
        for (Member mb : members) {
            for (int n : degreeSet) {
                mb.pairs().add(new CompensatorPair(mb.m(), n));
            }
        }
        SceneGenerator tune = s.generator().split(SceneGenerator.Split.VALIDATION);
        SceneGenerator test = s.generator().split(SceneGenerator.Split.TEST);
        for (Member mb : members) {
            if (!mb.spec().labels().equals(test.labels())) {
                throw new CommandFailedException(String.format("the labels of %s %s differ from the generator's %s",
                        mb.dir(), mb.spec().labels(), test.labels()));
            }
            err.printf(Locale.ROOT, "tocom proof: %s, trained at m = %d%s%n", mb.dir(), mb.m(),
                    mb.isBase() ? " (the plugin's base itself)" : " (fine-tuned: weights differ from the plugin's base)");
        }

        if (s.calibrateWith() != null) {
            calibrate(members, plugin, tune, out);
        }

        // 1. s on the VALIDATION split: pooled KL reduction over every mismatched pair.
        Map<Double, double[]> tuning = new LinkedHashMap<>(); // s -> {klPlain, klComp, gain, pairs}
        for (double scale : s.scales()) {
            tuning.put(scale, new double[4]);
        }
        for (Member mb : members) { // each model loaded once for every s
            Map<Double, List<CompensatorEvaluation.Cell>> byScale =
                    evaluate(mb, plugin, tune, s.tuneSize(), s.scales(), null);
            if (s.lineSearch()) {
                Map<Double, List<CompensatorEvaluation.Cell>> grid = new LinkedHashMap<>(byScale);
                grid.remove(0.0);
                calibrations.put(mb.m(), CompensatorCalibration.lineSearch(
                        plugin.baseWeightsSha256(), mb.sha(), s.tuneSize(), grid));
            }
            for (double scale : s.scales()) {
                double[] acc = tuning.get(scale);
                for (CompensatorEvaluation.Cell c : byScale.get(scale)) {
                    if (!c.pair().isIdentity()) {
                        acc[0] += c.klPlain();
                        acc[1] += c.klCompensated();
                        acc[2] += c.accuracyCompensated() - c.accuracyPlain();
                        acc[3]++;
                    }
                }
            }
        }
        for (double scale : s.scales()) {
            double[] acc = tuning.get(scale);
            out.printf(Locale.ROOT, "s = %-5s on %d VALIDATION scenes: KL %.5f -> %.5f (%+.1f %%), top-1 gain %+.2f points%n",
                    scale, s.tuneSize(), acc[0] / acc[3], acc[1] / acc[3], 100 * (acc[1] / acc[0] - 1), 100 * acc[2] / acc[3]);
        }
        double best = s.scales().get(0);
        for (Map.Entry<Double, double[]> e : tuning.entrySet()) {
            double[] a = e.getValue();
            double[] b = tuning.get(best);
            if (1 - a[1] / a[0] > 1 - b[1] / b[0]) {
                best = e.getKey();
            }
        }
        if (s.lineSearch()) {
            best = s.scales().stream().mapToDouble(Double::doubleValue).max().orElseThrow();
            out.printf(Locale.ROOT, "line search: per model and pair the scale of least VALIDATION KL (s = %s x factor):%n",
                    best);
            for (Member mb : members) {
                out.print(calibrations.get(mb.m()).describe().indent(2));
            }
            out.println();
        } else {
            out.printf(Locale.ROOT, "chosen s = %s%n%n", best);
        }

        // 2. Everything on the TEST split at that s, with per-image outcomes for the bootstrap.
        int images = s.testSize();
        int mismatched = 0;
        for (Member mb : members) {
            for (CompensatorPair p : mb.pairs()) {
                mismatched += p.isIdentity() ? 0 : 1;
            }
        }
        int[] gainSum = new int[images]; // per image: Σ over mismatched pairs of (comp - plain)
        List<CompensatorEvaluation.Cell> cells = new ArrayList<>();
        for (Member mb : members) {
            List<CompensatorPair> pairs = mb.pairs();
            List<CompensatorEvaluation.Cell> got = evaluate(mb, plugin, test, images, List.of(best),
                    (g, i, plain, comp) -> {
                        if (!pairs.get(g).isIdentity()) {
                            gainSum[i] += (comp ? 1 : 0) - (plain ? 1 : 0);
                        }
                    }).get(best);
            cells.addAll(got);
        }
        TocomEvalRun.TocomEvalReport report = TocomEvalRun.TocomEvalReport.of(
                String.join(",", members.stream().map(mb -> mb.dir().toString()).toList()), s.plugin().toString(),
                members.get(0).spec(), plugin, best, calibrations.isEmpty() ? "side" : "side, x calibration factors", images, cells);
        printTable(out, members, degreeSet, cells, images, best, !calibrations.isEmpty());

        // 3. The checks.
        double sumReduction = 0;
        int lowered = 0;
        double worst = Double.POSITIVE_INFINITY;
        CompensatorPair worstPair = null;
        for (CompensatorEvaluation.Cell c : cells) {
            if (c.pair().isIdentity()) {
                continue;
            }
            double reduction = c.klPlain() > 0 ? 1 - c.klCompensated() / c.klPlain() : 0;
            sumReduction += reduction;
            lowered += c.klCompensated() < c.klPlain() ? 1 : 0;
            double gain = c.accuracyCompensated() - c.accuracyPlain();
            if (gain < worst) {
                worst = gain;
                worstPair = c.pair();
            }
        }
        double meanReduction = sumReduction / mismatched;
        double[] perImage = new double[images];
        double meanGain = 0;
        for (int i = 0; i < images; i++) {
            perImage[i] = (double) gainSum[i] / mismatched;
            meanGain += perImage[i] / images;
        }
        double[] ci = bootstrap(perImage, s.bootstrap(), 0);
        List<Map<String, Object>> checks = new ArrayList<>();
        check(out, checks, "KL to the degree-m model lower with the plugin for every mismatched pair",
                lowered == mismatched, String.format(Locale.ROOT, "%d of %d pairs", lowered, mismatched));
        check(out, checks, "KL at least 30 % lower on average over the mismatched pairs",
                meanReduction >= 0.30, String.format(Locale.ROOT, "mean of the per-pair reductions %.1f %%", 100 * meanReduction));
        check(out, checks, "mean top-1 gain > 0 with its 95 % bootstrap interval above 0",
                meanGain > 0 && ci[0] > 0, String.format(Locale.ROOT, "%+.3f points, 95 %% interval [%+.3f, %+.3f] (%d resamples of %d images)",
                        100 * meanGain, 100 * ci[0], 100 * ci[1], s.bootstrap(), images));
        check(out, checks, "no pair loses more than 0.3 points of top-1",
                worst >= -0.003 - 1e-12, String.format(Locale.ROOT, "worst pair %s: %+.2f points", worstPair, 100 * worst));

        if (s.json() != null) {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("plugin", s.plugin().toString());
            json.put("models", members.stream().map(mb -> Map.of("dir", mb.dir().toString(), "m", mb.m(),
                    "isPluginBase", mb.isBase())).toList());
            Map<String, Object> tuned = new LinkedHashMap<>();
            for (Map.Entry<Double, double[]> e : tuning.entrySet()) {
                double[] a = e.getValue();
                tuned.put(Double.toString(e.getKey()), Map.of("meanKlPlain", a[0] / a[3], "meanKlCompensated", a[1] / a[3],
                        "meanTop1Gain", a[2] / a[3]));
            }
            json.put("tuneImages", s.tuneSize());
            json.put("scaleTuning", tuned);
            json.put("chosenScale", best);
            if (!calibrations.isEmpty()) {
                Map<String, Object> cal = new LinkedHashMap<>();
                cal.put("rule", calibrations.values().iterator().next().rule().id());
                if (s.calibrateWith() != null) {
                    cal.put("base", s.calibrateWith().toString());
                }
                for (Member mb : members) {
                    Map<String, Object> factors = new LinkedHashMap<>();
                    calibrations.get(mb.m()).pairs().forEach((p, f) -> factors.put(p.toString(), s.lineSearch()
                            ? Map.of("klModel", f.klModel(), "klCompensated", f.klCompensated(), "factor", f.factor())
                            : Map.of("klModel", f.klModel(), "klBase", f.klBase(), "factor", f.factor())));
                    cal.put("m" + mb.m(), factors);
                }
                json.put("calibration", cal);
            }
            json.put("testImages", images);
            json.put("cells", report.cells());
            json.put("meanKlReductionOverPairs", meanReduction);
            json.put("meanTop1Gain", meanGain);
            json.put("meanTop1GainCi95", ci);
            json.put("checks", checks);
            try {
                JsonFiles.write(s.json(), json);
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

    /** The model's pairs at each of {@code scales}, the model loaded once. */
    private Map<Double, List<CompensatorEvaluation.Cell>> evaluate(Member mb, TokenCompensator plugin,
            SceneGenerator split, int size, List<Double> scales, CompensatorEvaluation.PerImage perImage)
            throws CommandFailedException {
        VitModel model;
        try {
            model = VitModel.load(mb.dir(), s.device());
        } catch (IOException | RuntimeException e) {
            throw new CommandFailedException("cannot load model from " + mb.dir() + ": " + Cli.describe(e), e);
        }
        try (model; BoundCompensator tocom =
                plugin.bind(model, CompensatorMode.SIDE_BRANCH, calibrations.get(mb.m()))) {
            TrainingData data = new GeneratedData(split, size, new ImagePreprocessor(model.spec().preprocessing()));
            Map<Double, List<CompensatorEvaluation.Cell>> byScale = new LinkedHashMap<>();
            for (double scale : scales) {
                byScale.put(scale, CompensatorEvaluation.run(model, tocom, data, mb.pairs(), scale, s.batch(),
                        line -> err.println("tocom proof: m = " + mb.m() + ", s = " + scale + ": " + line), perImage));
            }
            return byScale;
        } catch (RuntimeException e) {
            throw new CommandFailedException("evaluation of " + mb.dir() + " failed: " + Cli.describe(e), e);
        }
    }

    /**
     * Each model's {@link CompensatorCalibration}: the plain KLs of the model and of the plugin's
     * base ({@code --calibrate-with}) on the same VALIDATION scenes, no labels used.
     */
    private void calibrate(List<Member> members, TokenCompensator plugin, SceneGenerator tune, PrintStream out)
            throws CommandFailedException {
        Path baseDir = s.calibrateWith();
        String baseSha;
        try {
            baseSha = TokenCompensator.weightsSha256(baseDir);
            plugin.requireBase(baseSha, CALIBRATE_WITH + " " + baseDir);
        } catch (IOException | RuntimeException e) {
            throw new CommandFailedException("cannot use " + CALIBRATE_WITH + " " + baseDir + ": " + Cli.describe(e), e);
        }
        List<CompensatorPair> all = new ArrayList<>();
        for (Member mb : members) {
            all.addAll(mb.pairs());
        }
        Member base = new Member(baseDir, null, baseSha, -1, all, true);
        List<CompensatorEvaluation.Cell> baseCells = plainCells(base, plugin, tune);
        out.printf(Locale.ROOT, "per-pair factors min(1, sqrt(KL_model / KL_base)), plain KLs on %d VALIDATION scenes:%n",
                s.tuneSize());
        for (Member mb : members) {
            List<CompensatorEvaluation.Cell> own = plainCells(mb, plugin, tune);
            List<CompensatorEvaluation.Cell> baseOwn = baseCells.stream().filter(c -> mb.pairs().contains(c.pair())).toList();
            CompensatorCalibration calibration =
                    CompensatorCalibration.of(plugin.baseWeightsSha256(), mb.sha(), s.tuneSize(), own, baseOwn);
            calibrations.put(mb.m(), calibration);
            out.print(calibration.describe().indent(2));
        }
        out.println();
    }

    /** Plain KLs only (scale 0: no delta, one forward per degree). */
    private List<CompensatorEvaluation.Cell> plainCells(Member mb, TokenCompensator plugin, SceneGenerator split)
            throws CommandFailedException {
        return evaluate(mb, plugin, split, s.tuneSize(), List.of(0.0), null).get(0.0);
    }

    private static int degreeOf(DegreeSchedule degrees, CompressionLevel level, Path dir)
            throws CommandFailedException {
        OptionalInt m = degrees.degreeOf(level);
        if (m.isEmpty()) {
            throw new CommandFailedException("model " + dir + " was trained at " + level
                    + "; tocom proof with this plugin takes models trained at none or "
                    + degrees.method() + ":m");
        }
        return m.getAsInt();
    }

    /** Percentile interval (2.5 %, 97.5 %) of the mean of {@code values} over resamples. */
    static double[] bootstrap(double[] values, int resamples, long seed) {
        Random random = new Random(seed);
        double[] means = new double[resamples];
        int n = values.length;
        for (int b = 0; b < resamples; b++) {
            double sum = 0;
            for (int i = 0; i < n; i++) {
                sum += values[random.nextInt(n)];
            }
            means[b] = sum / n;
        }
        Arrays.sort(means);
        return new double[] {means[(int) Math.floor(0.025 * (resamples - 1))], means[(int) Math.ceil(0.975 * (resamples - 1))]};
    }

    private static void check(PrintStream out, List<Map<String, Object>> checks, String what, boolean pass, String detail) {
        out.printf(Locale.ROOT, "%s  %s: %s%n", pass ? "PASS" : "FAIL", what, detail);
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("check", what);
        c.put("pass", pass);
        c.put("detail", detail);
        checks.add(c);
    }

    private static void printTable(PrintStream out, List<Member> members, TreeSet<Integer> degrees,
            List<CompensatorEvaluation.Cell> cells, int images, double scale, boolean calibrated) {
        out.printf(Locale.ROOT, "TEST split, %d images, s = %s%s: top-1 at n without -> with the plugin, and KL to the"
                + " model at its own m (change)%n", images, scale, calibrated ? " x each pair's factor" : "");
        StringBuilder head = new StringBuilder(String.format("%-10s", "model m"));
        for (int n : degrees) {
            head.append(String.format(Locale.ROOT, " | %-30s", "n = " + n));
        }
        out.println(head);
        // One model per m, so a pair names its cell.
        Map<CompensatorPair, CompensatorEvaluation.Cell> byPair = new LinkedHashMap<>();
        for (CompensatorEvaluation.Cell c : cells) {
            byPair.put(c.pair(), c);
        }
        for (Member mb : members) {
            StringBuilder row = new StringBuilder(String.format("%-10s", "m = " + mb.m()));
            for (int n : degrees) {
                CompensatorEvaluation.Cell c = byPair.get(new CompensatorPair(mb.m(), n));
                if (c == null) {
                    row.append(String.format(" | %-30s", "-"));
                } else if (c.pair().isIdentity()) {
                    row.append(String.format(Locale.ROOT, " | %-30s", String.format(Locale.ROOT, "%.2f %% (reference)", 100 * c.accuracyPlain())));
                } else {
                    row.append(String.format(Locale.ROOT, " | %-30s", String.format(Locale.ROOT, "%.2f->%.2f %% KL %+.0f %%",
                            100 * c.accuracyPlain(), 100 * c.accuracyCompensated(),
                            c.klPlain() > 0 ? 100 * (c.klCompensated() / c.klPlain() - 1) : 0.0)));
                }
            }
            out.println(row);
        }
        out.println();
    }
}
