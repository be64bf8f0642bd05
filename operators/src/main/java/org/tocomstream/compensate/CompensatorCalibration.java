package org.tocomstream.compensate;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import org.tocomstream.model.CheckpointException;
import org.tocomstream.model.ModelSpec;

/**
 * Per-pair scale factors that fit a plugin to the model it runs on: applied scale = s · factor,
 * factor in [0, 1] per (m → n) pair. Two rules, both label-free (measured on unlabelled frames):
 *
 * <ul>
 *   <li>{@link Rule#SQRT_KL_RATIO} for a model fine-tuned from the plugin's base. The plugin learns
 *       Δ(m→n) from how the <em>base</em> changes between degrees m and n; a model fine-tuned at m
 *       has adapted to m and is often much closer to itself at n than the base was, so the full
 *       delta over-corrects. Each pair's delta is scaled by how much of the base's gap the model
 *       still has: {@code factor = min(1, sqrt(KL_model(m‖n) / KL_base(m‖n)))}, both KLs plain
 *       (no plugin), from a model at m to the same model at n. The square root because a KL is
 *       second order in the logit gap the delta has to close. {@link #scale()} is NaN: the factors
 *       multiply whatever s the stream runs at.
 *   <li>{@link Rule#KL_LINE_SEARCH} for any model the plugin may run on, its base included: for each
 *       pair, the scale from a grid that brings the model at n + scale·Δ(m→n) closest (KL) to the
 *       model itself at m, i.e. the plugin's own self-distillation objective measured on the model
 *       that is deployed; {@code factor = chosen / max(grid)} and {@link #scale()} = max(grid), which
 *       is then the default s. A pair that no scale improves gets factor 0 (no delta).
 * </ul>
 *
 * <p>File ({@value #FILE_NAME} next to the model's {@code model.json}): JSON with the rule, the
 * plugin's base and the model's weight hashes, the number of frames, and per pair {@code "m->n"}
 * the KLs and the factor. A pair not in the file keeps factor 1.
 *
 * <pre>{@code
 * CompensatorCalibration cal = CompensatorCalibration.of(pluginBaseSha, modelSha, 500,
 *         CompensatorEvaluation.run(model, onModel, frames, pairs, 0, 64, log::info),
 *         CompensatorEvaluation.run(base, onBase, frames, pairs, 0, 64, log::info));
 * double s = plugin.config().defaultScale() * cal.factor(new CompensatorPair(8, 0));
 * }</pre>
 *
 * @param rule how the factors were found
 * @param pluginBaseWeightsSha256 the weights hash of the base the plugin was trained on
 * @param modelWeightsSha256 the weights hash of the model the factors are for
 * @param images frames the KLs were measured on
 * @param scale the reference scale the factors multiply ({@link Rule#KL_LINE_SEARCH}: the grid's
 *     largest scale, the model's default s); NaN for {@link Rule#SQRT_KL_RATIO}
 * @param pairs per pair: the KLs and the factor, in measuring order
 */
public record CompensatorCalibration(
        Rule rule,
        String pluginBaseWeightsSha256,
        String modelWeightsSha256,
        int images,
        double scale,
        Map<CompensatorPair, PairFactor> pairs) {

    /** How the factors were found; {@link #id()} is the name in the file. */
    public enum Rule {
        /** min(1, sqrt(KL_model / KL_base)) of plain KLs, for a model fine-tuned from the base. */
        SQRT_KL_RATIO("sqrt-kl-ratio"),
        /** Per pair the grid scale of least KL to the model itself at m. */
        KL_LINE_SEARCH("kl-line-search");

        private final String id;

        Rule(String id) {
            this.id = id;
        }

        public String id() {
            return id;
        }

        /** @throws IllegalArgumentException naming the rules there are */
        public static Rule parse(String id) {
            for (Rule r : values()) {
                if (r.id.equals(id)) {
                    return r;
                }
            }
            throw new IllegalArgumentException("rule '" + id + "' is not supported; expected one of "
                    + java.util.Arrays.stream(values()).map(Rule::id).toList());
        }
    }

    /** File name of a calibration in a model directory. */
    public static final String FILE_NAME = "tocom-scales.json";

    /**
     * One pair's measurement.
     *
     * @param klModel KL(model at m ‖ model at n), nats per frame
     * @param klBase KL(base at m ‖ base at n) on the same frames ({@link Rule#SQRT_KL_RATIO}), else NaN
     * @param klCompensated KL(model at m ‖ model at n + s·factor·Δ) ({@link Rule#KL_LINE_SEARCH}), else NaN
     * @param factor the scale factor in [0, 1]
     */
    public record PairFactor(double klModel, double klBase, double klCompensated, double factor) {
        /** @throws IllegalArgumentException when a KL is negative or infinite or factor is outside [0, 1] */
        public PairFactor {
            for (double kl : new double[] {klModel, klBase, klCompensated}) {
                if (kl < 0 || Double.isInfinite(kl)) {
                    throw new IllegalArgumentException("KLs must be finite and >= 0 but were " + klModel + ", " + klBase
                            + " and " + klCompensated);
                }
            }
            if (Double.isNaN(klModel)) {
                throw new IllegalArgumentException("klModel must be given");
            }
            if (!(factor >= 0 && factor <= 1)) {
                throw new IllegalArgumentException("factor must be in [0, 1] but was " + factor);
            }
        }

        /** A {@link Rule#SQRT_KL_RATIO} measurement. */
        public PairFactor(double klModel, double klBase, double factor) {
            this(klModel, klBase, Double.NaN, factor);
        }
    }

    /**
     * @throws IllegalArgumentException on a blank hash, images < 1, or a scale that does not fit
     *     the rule, or a pair without the KL its rule needs
     */
    public CompensatorCalibration {
        Objects.requireNonNull(rule, "rule");
        if (pluginBaseWeightsSha256 == null
                || pluginBaseWeightsSha256.isBlank()
                || modelWeightsSha256 == null
                || modelWeightsSha256.isBlank()) {
            throw new IllegalArgumentException("both weight hashes must be given");
        }
        if (images < 1) {
            throw new IllegalArgumentException("images must be >= 1 but was " + images);
        }
        boolean search = rule == Rule.KL_LINE_SEARCH;
        if (search ? !(scale > 0 && Double.isFinite(scale)) : !Double.isNaN(scale)) {
            throw new IllegalArgumentException(
                    search
                            ? "a " + rule.id() + " calibration needs a reference scale > 0 but had " + scale
                            : "a " + rule.id() + " calibration has no reference scale but had " + scale);
        }
        pairs = Collections.unmodifiableMap(new LinkedHashMap<>(pairs));
        for (Map.Entry<CompensatorPair, PairFactor> e : pairs.entrySet()) {
            double needed = search ? e.getValue().klCompensated() : e.getValue().klBase();
            if (Double.isNaN(needed)) {
                throw new IllegalArgumentException("pair " + e.getKey() + " lacks "
                        + (search ? "klCompensated" : "klBase") + ", which rule " + rule.id() + " records");
            }
        }
    }

    /** A {@link Rule#SQRT_KL_RATIO} calibration. */
    public CompensatorCalibration(
            String pluginBaseWeightsSha256,
            String modelWeightsSha256,
            int images,
            Map<CompensatorPair, PairFactor> pairs) {
        this(Rule.SQRT_KL_RATIO, pluginBaseWeightsSha256, modelWeightsSha256, images, Double.NaN, pairs);
    }

    /** The reference scale, when the rule has one ({@link Rule#KL_LINE_SEARCH}). */
    public OptionalDouble referenceScale() {
        return Double.isNaN(scale) ? OptionalDouble.empty() : OptionalDouble.of(scale);
    }

    /** The rule: min(1, sqrt(klModel / klBase)); 1 where the base has no gap. */
    public static double factor(double klModel, double klBase) {
        if (!(klBase > 0)) {
            return 1;
        }
        return Math.min(1, Math.sqrt(Math.max(0, klModel) / klBase));
    }

    /**
     * The calibration from the plain KLs of the model and of the base over the same pairs and
     * frames, as {@link CompensatorEvaluation#run} measures them ({@code klPlain}); identity pairs
     * are left out.
     *
     * @throws IllegalArgumentException when the two lists do not cover the same pairs
     */
    public static CompensatorCalibration of(
            String pluginBaseWeightsSha256,
            String modelWeightsSha256,
            int images,
            List<CompensatorEvaluation.Cell> model,
            List<CompensatorEvaluation.Cell> base) {
        return CalibrationRules.sqrtKlRatio(pluginBaseWeightsSha256, modelWeightsSha256, images, model, base);
    }

    /**
     * The {@link Rule#KL_LINE_SEARCH} calibration from one measurement per grid scale, as {@link
     * CompensatorEvaluation#run} makes them (the model bound without a calibration): per pair the
     * scale of least {@code klCompensated}, the smaller on a tie; factor 0 where no scale is below
     * the plain KL. Identity pairs are left out.
     *
     * @param byScale per grid scale (> 0) the cells of the same pairs on the same frames
     * @throws IllegalArgumentException when the grid is empty, a scale is not > 0, or the scales
     *     do not cover the same pairs
     */
    public static CompensatorCalibration lineSearch(
            String pluginBaseWeightsSha256,
            String modelWeightsSha256,
            int images,
            Map<Double, List<CompensatorEvaluation.Cell>> byScale) {
        return CalibrationRules.klLineSearch(pluginBaseWeightsSha256, modelWeightsSha256, images, byScale);
    }

    /** The factor for {@code pair}: 1 for m = n and for a pair the calibration did not measure. */
    public double factor(CompensatorPair pair) {
        PairFactor f = pairs.get(pair);
        return f == null ? 1 : f.factor();
    }

    /** The scale to apply to {@code pair}: {@code scale} × {@link #factor(CompensatorPair)}. */
    public double scale(CompensatorPair pair, double scale) {
        return scale * factor(pair);
    }

    /**
     * @throws CheckpointException when this calibration is for another plugin base or model
     */
    public void requireFor(TokenCompensator plugin, String modelSha256, String where) throws CheckpointException {
        if (!plugin.baseWeightsSha256().equals(pluginBaseWeightsSha256)) {
            throw new CheckpointException(String.format(
                    "%s: calibrated for a plugin of base sha256 %s, but the plugin's base is %s",
                    where, pluginBaseWeightsSha256, plugin.baseWeightsSha256()));
        }
        if (!modelSha256.equals(modelWeightsSha256)) {
            throw new CheckpointException(String.format(
                    "%s: calibrated for model weights sha256 %s, but the model's are %s",
                    where, modelWeightsSha256, modelSha256));
        }
    }

    /**
     * What lets {@code plugin} run on the model in {@code modelDir}: the directory's {@value
     * #FILE_NAME} when there is one (a model fine-tuned from the plugin's base must have one; the
     * base itself may, e.g. a {@link Rule#KL_LINE_SEARCH} one); nothing (empty) for the plugin's
     * base without a file.
     *
     * @throws CheckpointException naming both weight hashes when the model is not the base and has
     *     no calibration (with the command that makes one), or when its calibration is for another
     *     plugin base or other weights
     * @throws IllegalArgumentException naming both shapes when the architecture does not fit
     */
    public static Optional<CompensatorCalibration> forModel(TokenCompensator plugin, Path modelDir) throws IOException {
        plugin.requireArchitecture(ModelSpec.read(modelDir).architecture());
        String sha = TokenCompensator.weightsSha256(modelDir);
        Optional<Path> file = inModelDir(modelDir);
        if (file.isEmpty()) {
            if (sha.equals(plugin.baseWeightsSha256())) {
                return Optional.empty();
            }
            try {
                plugin.requireBase(sha, modelDir.toString());
            } catch (CheckpointException e) {
                throw new CheckpointException(
                        e.getMessage() + "; to apply it to a model fine-tuned from that base,"
                                + " calibrate it first: tocom calibrate --model " + modelDir
                                + " --plugin PLUGIN (--images DIR | --generator | --topic T) (writes "
                                + FILE_NAME + ")",
                        e);
            }
        }
        CompensatorCalibration calibration = load(file.get());
        calibration.requireFor(plugin, sha, file.get().toString());
        return Optional.of(calibration);
    }

    /** The calibration file of a model directory ({@value #FILE_NAME}), when there is one. */
    public static Optional<Path> inModelDir(Path modelDir) {
        Path file = modelDir.resolve(FILE_NAME);
        return Files.isRegularFile(file) ? Optional.of(file) : Optional.empty();
    }

    /** Writes the file, replaced atomically. */
    public void save(Path file) throws IOException {
        CompensatorCalibrationJson.write(this, file);
    }

    /**
     * Reads a calibration file. Unknown fields are rejected.
     *
     * @throws CheckpointException naming the file and the field that is wrong
     */
    public static CompensatorCalibration load(Path file) throws IOException {
        return CompensatorCalibrationJson.read(file);
    }

    /** The factors on one line, e.g. {@code 8->0 0.37, 8->4 0.37, 8->6 0.42}. */
    public String factorsText() {
        StringBuilder out = new StringBuilder();
        pairs.forEach((p, f) ->
                out.append(out.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%s %.2f", p, f.factor())));
        return out.toString();
    }

    /**
     * One line per pair, e.g. {@code 8->0 KL 0.1076 / base 0.6163 -> factor 0.42} ({@link
     * Rule#SQRT_KL_RATIO}) or {@code 8->0 KL 0.1076 -> 0.0312 at scale 0.1 (factor 0.250)}.
     */
    public String describe() {
        StringBuilder out = new StringBuilder();
        for (Map.Entry<CompensatorPair, PairFactor> e : pairs.entrySet()) {
            PairFactor f = e.getValue();
            out.append(
                    rule == Rule.SQRT_KL_RATIO
                            ? String.format(
                                    Locale.ROOT,
                                    "%s KL %.5f / base %.5f -> factor %.3f%n",
                                    e.getKey(),
                                    f.klModel(),
                                    f.klBase(),
                                    f.factor())
                            : String.format(
                                    Locale.ROOT,
                                    "%s KL %.5f -> %.5f at scale %.4g (factor %.4f)%n",
                                    e.getKey(),
                                    f.klModel(),
                                    f.klCompensated(),
                                    scale * f.factor(),
                                    f.factor()));
        }
        return out.toString();
    }
}
