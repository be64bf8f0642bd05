package org.tocomstream.compensate;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.stream.JsonWriter;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;
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
            throw new IllegalArgumentException(
                    "rule '" + id + "' is not supported; expected one of "
                            + java.util.Arrays.stream(values()).map(Rule::id).toList());
        }
    }

    /** File name of a calibration in a model directory. */
    public static final String FILE_NAME = "tocom-scales.json";

    static final int FORMAT_VERSION = 1;

    private static final Set<String> FIELDS =
            Set.of(
                    "formatVersion", "rule", "pluginBaseWeightsSha256", "modelWeightsSha256",
                    "images", "scale", "pairs");
    private static final Map<Rule, Set<String>> PAIR_FIELDS = Map.of(
            Rule.SQRT_KL_RATIO, Set.of("pair", "klModel", "klBase", "factor"),
            Rule.KL_LINE_SEARCH, Set.of("pair", "klModel", "klCompensated", "factor"));

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
                    throw new IllegalArgumentException(
                            "KLs must be finite and >= 0 but were " + klModel + ", " + klBase + " and "
                                    + klCompensated);
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
        if (pluginBaseWeightsSha256 == null || pluginBaseWeightsSha256.isBlank()
                || modelWeightsSha256 == null || modelWeightsSha256.isBlank()) {
            throw new IllegalArgumentException("both weight hashes must be given");
        }
        if (images < 1) {
            throw new IllegalArgumentException("images must be >= 1 but was " + images);
        }
        boolean search = rule == Rule.KL_LINE_SEARCH;
        if (search ? !(scale > 0 && Double.isFinite(scale)) : !Double.isNaN(scale)) {
            throw new IllegalArgumentException(search
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
        Map<CompensatorPair, Double> baseKl = new LinkedHashMap<>();
        for (CompensatorEvaluation.Cell c : base) {
            baseKl.put(c.pair(), c.klPlain());
        }
        Map<CompensatorPair, PairFactor> pairs = new LinkedHashMap<>();
        for (CompensatorEvaluation.Cell c : model) {
            if (c.pair().isIdentity()) {
                continue;
            }
            Double kb = baseKl.get(c.pair());
            if (kb == null) {
                throw new IllegalArgumentException("no base measurement for pair " + c.pair());
            }
            pairs.put(c.pair(), new PairFactor(c.klPlain(), kb, factor(c.klPlain(), kb)));
        }
        if (pairs.size() != baseKl.keySet().stream().filter(p -> !p.isIdentity()).count()) {
            throw new IllegalArgumentException(
                    "the base was measured on pairs " + baseKl.keySet() + " but the model on "
                            + model.stream().map(CompensatorEvaluation.Cell::pair).toList());
        }
        return new CompensatorCalibration(
                pluginBaseWeightsSha256, modelWeightsSha256, images, pairs);
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
        if (byScale.isEmpty()) {
            throw new IllegalArgumentException("the line search needs at least one scale");
        }
        List<Double> grid = byScale.keySet().stream().sorted().toList();
        for (double scale : grid) {
            if (!(scale > 0 && Double.isFinite(scale))) {
                throw new IllegalArgumentException("grid scales must be > 0 but one was " + scale);
            }
        }
        double max = grid.get(grid.size() - 1);
        List<CompensatorPair> order = byScale.get(grid.get(0)).stream()
                .map(CompensatorEvaluation.Cell::pair).filter(p -> !p.isIdentity()).toList();
        Map<CompensatorPair, PairFactor> pairs = new LinkedHashMap<>();
        for (CompensatorPair pair : order) {
            double plain = Double.NaN;
            double best = 0;
            double bestKl = Double.POSITIVE_INFINITY;
            for (double scale : grid) {
                CompensatorEvaluation.Cell c = byScale.get(scale).stream()
                        .filter(x -> x.pair().equals(pair)).findFirst()
                        .orElseThrow(() -> new IllegalArgumentException(
                                "no measurement of pair " + pair + " at scale " + scale));
                plain = c.klPlain();
                if (c.klCompensated() < bestKl) {
                    bestKl = c.klCompensated();
                    best = scale;
                }
            }
            boolean helps = bestKl < plain;
            pairs.put(pair, new PairFactor(plain, Double.NaN, helps ? bestKl : plain, helps ? best / max : 0));
        }
        for (List<CompensatorEvaluation.Cell> cells : byScale.values()) {
            if (cells.stream().filter(c -> !c.pair().isIdentity()).count() != pairs.size()) {
                throw new IllegalArgumentException("the grid scales were measured on different pairs");
            }
        }
        return new CompensatorCalibration(Rule.KL_LINE_SEARCH, pluginBaseWeightsSha256, modelWeightsSha256,
                images, max, pairs);
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
    public void requireFor(TokenCompensator plugin, String modelSha256, String where)
            throws CheckpointException {
        if (!plugin.baseWeightsSha256().equals(pluginBaseWeightsSha256)) {
            throw new CheckpointException(
                    String.format(
                            "%s: calibrated for a plugin of base sha256 %s, but the plugin's base is %s",
                            where, pluginBaseWeightsSha256, plugin.baseWeightsSha256()));
        }
        if (!modelSha256.equals(modelWeightsSha256)) {
            throw new CheckpointException(
                    String.format(
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
    public static Optional<CompensatorCalibration> forModel(TokenCompensator plugin, Path modelDir)
            throws IOException {
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
        StringWriter text = new StringWriter();
        try (JsonWriter json = new JsonWriter(text)) {
            json.setIndent("  ");
            json.beginObject();
            json.name("formatVersion").value(FORMAT_VERSION);
            json.name("rule").value(rule.id());
            json.name("pluginBaseWeightsSha256").value(pluginBaseWeightsSha256);
            json.name("modelWeightsSha256").value(modelWeightsSha256);
            json.name("images").value(images);
            if (!Double.isNaN(scale)) {
                json.name("scale").value(scale);
            }
            json.name("pairs").beginArray();
            for (Map.Entry<CompensatorPair, PairFactor> e : pairs.entrySet()) {
                json.beginObject();
                json.name("pair").value(e.getKey().toString());
                json.name("klModel").value(e.getValue().klModel());
                if (rule == Rule.SQRT_KL_RATIO) {
                    json.name("klBase").value(e.getValue().klBase());
                } else {
                    json.name("klCompensated").value(e.getValue().klCompensated());
                }
                json.name("factor").value(e.getValue().factor());
                json.endObject();
            }
            json.endArray();
            json.endObject();
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, text + "\n", StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * Reads a calibration file. Unknown fields are rejected.
     *
     * @throws CheckpointException naming the file and the field that is wrong
     */
    public static CompensatorCalibration load(Path file) throws IOException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new CheckpointException(file + ": no such calibration file", e);
        }
        try {
            JsonElement parsed = JsonParser.parseString(text);
            if (!parsed.isJsonObject()) {
                throw new CheckpointException(file + ": expected a JSON object");
            }
            JsonObject root = parsed.getAsJsonObject();
            known(root, FIELDS, "", file);
            if (root.has("formatVersion") && root.get("formatVersion").getAsInt() != FORMAT_VERSION) {
                throw new CheckpointException(
                        String.format(
                                "%s: formatVersion %s is not supported; this version reads %d",
                                file, root.get("formatVersion"), FORMAT_VERSION));
            }
            Rule rule;
            try {
                rule = Rule.parse(required(root, "rule", file).getAsString());
            } catch (IllegalArgumentException e) {
                throw new CheckpointException(file + ": " + e.getMessage(), e);
            }
            boolean search = rule == Rule.KL_LINE_SEARCH;
            Map<CompensatorPair, PairFactor> pairs = new LinkedHashMap<>();
            for (JsonElement p : required(root, "pairs", file).getAsJsonArray()) {
                JsonObject o = p.getAsJsonObject();
                known(o, PAIR_FIELDS.get(rule), "pairs[].", file);
                CompensatorPair pair = CompensatorPair.parse(required(o, "pair", file).getAsString());
                PairFactor f;
                try {
                    f = new PairFactor(
                            required(o, "klModel", file).getAsDouble(),
                            search ? Double.NaN : required(o, "klBase", file).getAsDouble(),
                            search ? required(o, "klCompensated", file).getAsDouble() : Double.NaN,
                            required(o, "factor", file).getAsDouble());
                } catch (IllegalArgumentException e) {
                    throw new CheckpointException(file + ": pair " + pair + ": " + e.getMessage(), e);
                }
                if (pairs.put(pair, f) != null) {
                    throw new CheckpointException(file + ": pair " + pair + " is listed twice");
                }
            }
            if (!search && root.has("scale")) {
                throw new CheckpointException(file + ": rule " + rule.id() + " has no 'scale'");
            }
            try {
                return new CompensatorCalibration(
                        rule,
                        required(root, "pluginBaseWeightsSha256", file).getAsString(),
                        required(root, "modelWeightsSha256", file).getAsString(),
                        required(root, "images", file).getAsInt(),
                        search ? required(root, "scale", file).getAsDouble() : Double.NaN,
                        pairs);
            } catch (IllegalArgumentException e) {
                throw new CheckpointException(file + ": " + e.getMessage(), e);
            }
        } catch (CheckpointException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new CheckpointException(file + ": not a valid calibration file: " + e.getMessage(), e);
        }
    }

    /** The factors on one line, e.g. {@code 8->0 0.37, 8->4 0.37, 8->6 0.42}. */
    public String factorsText() {
        StringBuilder out = new StringBuilder();
        pairs.forEach((p, f) -> out.append(out.length() == 0 ? "" : ", ")
                .append(String.format(Locale.ROOT, "%s %.2f", p, f.factor())));
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
            out.append(rule == Rule.SQRT_KL_RATIO
                    ? String.format(Locale.ROOT, "%s KL %.5f / base %.5f -> factor %.3f%n", e.getKey(),
                            f.klModel(), f.klBase(), f.factor())
                    : String.format(Locale.ROOT, "%s KL %.5f -> %.5f at scale %.4g (factor %.4f)%n", e.getKey(),
                            f.klModel(), f.klCompensated(), scale * f.factor(), f.factor()));
        }
        return out.toString();
    }

    private static void known(JsonObject o, Set<String> fields, String prefix, Path file)
            throws CheckpointException {
        for (String key : o.keySet()) {
            if (!fields.contains(key)) {
                throw new CheckpointException(
                        String.format("%s: unknown field '%s%s'; expected %s", file, prefix, key, fields));
            }
        }
    }

    private static JsonElement required(JsonObject o, String key, Path file) throws CheckpointException {
        JsonElement e = o.get(key);
        if (e == null || e.isJsonNull()) {
            throw new CheckpointException(file + ": missing field '" + key + "'");
        }
        return e;
    }
}
