package org.tocomstream.job.tocom;

import static org.tocomstream.job.tocom.TocomProofSettings.CALIBRATE_WITH;
import static org.tocomstream.job.tocom.TocomProofSettings.DEGREES;

import java.io.IOException;
import java.io.PrintStream;
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
import org.tocomstream.compensate.BoundCompensator;
import org.tocomstream.compensate.CompensatorCalibration;
import org.tocomstream.compensate.CompensatorEvaluation;
import org.tocomstream.compensate.CompensatorMode;
import org.tocomstream.compensate.CompensatorPair;
import org.tocomstream.compensate.DegreeAxis;
import org.tocomstream.compensate.TokenCompensator;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.data.SceneGenerator;
import org.tocomstream.job.cli.Cli;
import org.tocomstream.job.cli.CommandFailedException;
import org.tocomstream.model.ImagePreprocessor;
import org.tocomstream.model.ModelSpec;
import org.tocomstream.model.VitModel;
import org.tocomstream.model.train.GeneratedData;
import org.tocomstream.model.train.TrainingData;

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

    private final TocomProofSettings s;
    private final PrintStream err;

    TocomProofRun(TocomProofSettings settings, PrintStream err) {
        this.s = settings;
        this.err = err;
    }

    /** One fine-tuned model: its directory, its training degree and its pairs (m → n) for every n. */
    record Member(Path dir, ModelSpec spec, String sha, int m, List<CompensatorPair> pairs, boolean isBase) {}

    /** With {@code --calibrate-with} or {@code --line-search}: each model's factors, by its m. */
    private final Map<Integer, CompensatorCalibration> calibrations = new LinkedHashMap<>();

    int execute(PrintStream out) throws CommandFailedException {
        TokenCompensator plugin = loadPlugin();
        List<Member> members = readModels(plugin);
        TreeSet<Integer> degreeSet = inferenceDegrees(members, plugin.config().maxDegree());
        for (Member mb : members) {
            for (int n : degreeSet) {
                mb.pairs().add(new CompensatorPair(mb.m(), n));
            }
        }
        SceneGenerator tune = s.generator().split(SceneGenerator.Split.VALIDATION);
        SceneGenerator test = s.generator().split(SceneGenerator.Split.TEST);
        checkLabels(members, test);

        if (s.calibrateWith() != null) {
            calibrate(members, plugin, tune, out);
        }

        // 1. s on the VALIDATION split: pooled KL reduction over every mismatched pair.
        Map<Double, double[]> tuning = tuneScales(members, plugin, tune);
        double best = chooseScale(tuning, members, out);

        // 2. Everything on the TEST split at that s, with per-image outcomes for the bootstrap.
        int[] gainSum = new int[s.testSize()]; // per image: Σ over mismatched pairs of (comp - plain)
        List<CompensatorEvaluation.Cell> cells = measure(members, plugin, test, best, gainSum);

        // 3. The table, the checks and the files asked for.
        new TocomProofReport(s, members, calibrations, out).write(plugin, degreeSet, tuning, best, cells, gainSum);
        return Cli.OK;
    }

    private TokenCompensator loadPlugin() throws CommandFailedException {
        try {
            return TokenCompensator.load(s.plugin());
        } catch (IOException | RuntimeException e) {
            throw new CommandFailedException("cannot load --plugin " + s.plugin() + ": " + Cli.describe(e), e);
        }
    }

    /** The models in the order given, each with its training degree m; one model per m. */
    private List<Member> readModels(TokenCompensator plugin) throws CommandFailedException {
        int maxDegree = plugin.config().maxDegree();
        List<Member> members = new ArrayList<>();
        for (Path dir : s.models()) {
            ModelSpec spec;
            String sha;
            try {
                spec = ModelSpec.read(dir);
                sha = TokenCompensator.weightsSha256(dir);
            } catch (IOException | RuntimeException e) {
                throw new CommandFailedException("cannot read model " + dir + ": " + Cli.describe(e), e);
            }
            int m = degreeOf(plugin.config().axis(), spec.trainedCompression(), dir);
            if (m > maxDegree) {
                throw new CommandFailedException(String.format(
                        Locale.ROOT,
                        "model %s was trained at %s, beyond the plugin's degrees 0..%d",
                        dir,
                        spec.trainedCompression(),
                        maxDegree));
            }
            for (Member other : members) {
                if (other.m() == m) {
                    throw new CommandFailedException(String.format(
                            Locale.ROOT,
                            "models %s and %s were both trained at m = %d; give one model per training degree",
                            other.dir(),
                            dir,
                            m));
                }
            }
            members.add(new Member(dir, spec, sha, m, new ArrayList<>(), sha.equals(plugin.baseWeightsSha256())));
        }
        return members;
    }

    /** The degrees n every model is evaluated at: {@code --degrees}, or else the models' m values. */
    private TreeSet<Integer> inferenceDegrees(List<Member> members, int maxDegree) throws CommandFailedException {
        TreeSet<Integer> degreeSet = new TreeSet<>(s.degrees());
        if (s.degrees().isEmpty()) {
            for (Member mb : members) {
                degreeSet.add(mb.m());
            }
        }
        for (int n : degreeSet) {
            if (n > maxDegree) {
                throw new CommandFailedException(String.format(
                        Locale.ROOT, "%s: degree %d is beyond the plugin's degrees 0..%d", DEGREES, n, maxDegree));
            }
        }
        return degreeSet;
    }

    /** Every model must name the generator's labels; says which models are the plugin's base. */
    private void checkLabels(List<Member> members, SceneGenerator test) throws CommandFailedException {
        for (Member mb : members) {
            if (!mb.spec().labels().equals(test.labels())) {
                throw new CommandFailedException(String.format(
                        "the labels of %s %s differ from the generator's %s",
                        mb.dir(), mb.spec().labels(), test.labels()));
            }
            err.printf(
                    Locale.ROOT,
                    "tocom proof: %s, trained at m = %d%s%n",
                    mb.dir(),
                    mb.m(),
                    mb.isBase()
                            ? " (the plugin's base itself)"
                            : " (fine-tuned: weights differ from the plugin's base)");
        }
    }

    /**
     * Every model's mismatched pairs at every candidate s on the VALIDATION split, pooled per s as
     * {klPlain, klComp, gain, pairs}; with {@code --line-search}, also each model's own scales.
     */
    private Map<Double, double[]> tuneScales(List<Member> members, TokenCompensator plugin, SceneGenerator tune)
            throws CommandFailedException {
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
                calibrations.put(
                        mb.m(),
                        CompensatorCalibration.lineSearch(plugin.baseWeightsSha256(), mb.sha(), s.tuneSize(), grid));
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
        return tuning;
    }

    /**
     * Prints each candidate's VALIDATION figures and returns the s of largest pooled KL reduction;
     * with {@code --line-search}, the largest s, printed with each model's factors.
     */
    private double chooseScale(Map<Double, double[]> tuning, List<Member> members, PrintStream out) {
        for (double scale : s.scales()) {
            double[] acc = tuning.get(scale);
            out.printf(
                    Locale.ROOT,
                    "s = %-5s on %d VALIDATION scenes: KL %.5f -> %.5f (%+.1f %%), top-1 gain %+.2f points%n",
                    scale,
                    s.tuneSize(),
                    acc[0] / acc[3],
                    acc[1] / acc[3],
                    100 * (acc[1] / acc[0] - 1),
                    100 * acc[2] / acc[3]);
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
            out.printf(
                    Locale.ROOT,
                    "line search: per model and pair the scale of least VALIDATION KL (s = %s x factor):%n",
                    best);
            for (Member mb : members) {
                out.print(calibrations.get(mb.m()).describe().indent(2));
            }
            out.println();
        } else {
            out.printf(Locale.ROOT, "chosen s = %s%n%n", best);
        }
        return best;
    }

    /** Every model's pairs on the TEST split at {@code scale}; adds each image's gains to {@code gainSum}. */
    private List<CompensatorEvaluation.Cell> measure(
            List<Member> members, TokenCompensator plugin, SceneGenerator test, double scale, int[] gainSum)
            throws CommandFailedException {
        List<CompensatorEvaluation.Cell> cells = new ArrayList<>();
        for (Member mb : members) {
            List<CompensatorPair> pairs = mb.pairs();
            List<CompensatorEvaluation.Cell> got = evaluate(
                            mb, plugin, test, s.testSize(), List.of(scale), (g, i, plain, comp) -> {
                                if (!pairs.get(g).isIdentity()) {
                                    gainSum[i] += (comp ? 1 : 0) - (plain ? 1 : 0);
                                }
                            })
                    .get(scale);
            cells.addAll(got);
        }
        return cells;
    }

    /** The model's pairs at each of {@code scales}, the model loaded once. */
    private Map<Double, List<CompensatorEvaluation.Cell>> evaluate(
            Member mb,
            TokenCompensator plugin,
            SceneGenerator split,
            int size,
            List<Double> scales,
            CompensatorEvaluation.PerImage perImage)
            throws CommandFailedException {
        VitModel model;
        try {
            model = VitModel.load(mb.dir(), s.device());
        } catch (IOException | RuntimeException e) {
            throw new CommandFailedException("cannot load model from " + mb.dir() + ": " + Cli.describe(e), e);
        }
        try (model;
                BoundCompensator tocom = plugin.bind(model, CompensatorMode.SIDE_BRANCH, calibrations.get(mb.m()))) {
            TrainingData data = new GeneratedData(
                    split, size, new ImagePreprocessor(model.spec().preprocessing()));
            Map<Double, List<CompensatorEvaluation.Cell>> byScale = new LinkedHashMap<>();
            for (double scale : scales) {
                byScale.put(
                        scale,
                        CompensatorEvaluation.run(
                                model,
                                tocom,
                                data,
                                mb.pairs(),
                                scale,
                                s.batch(),
                                line -> err.println("tocom proof: m = " + mb.m() + ", s = " + scale + ": " + line),
                                perImage));
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
            throw new CommandFailedException(
                    "cannot use " + CALIBRATE_WITH + " " + baseDir + ": " + Cli.describe(e), e);
        }
        List<CompensatorPair> all = new ArrayList<>();
        for (Member mb : members) {
            all.addAll(mb.pairs());
        }
        Member base = new Member(baseDir, null, baseSha, -1, all, true);
        List<CompensatorEvaluation.Cell> baseCells = plainCells(base, plugin, tune);
        out.printf(
                Locale.ROOT,
                "per-pair factors min(1, sqrt(KL_model / KL_base)), plain KLs on %d VALIDATION scenes:%n",
                s.tuneSize());
        for (Member mb : members) {
            List<CompensatorEvaluation.Cell> own = plainCells(mb, plugin, tune);
            List<CompensatorEvaluation.Cell> baseOwn = baseCells.stream()
                    .filter(c -> mb.pairs().contains(c.pair()))
                    .toList();
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

    private static int degreeOf(DegreeAxis degrees, CompressionLevel level, Path dir) throws CommandFailedException {
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
        return new double[] {
            means[(int) Math.floor(0.025 * (resamples - 1))], means[(int) Math.ceil(0.975 * (resamples - 1))]
        };
    }
}
