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
import java.util.Optional;
import java.util.Set;
import org.tocomstream.model.CheckpointException;

/**
 * Per-pair scale factors that fit a plugin, trained once on a base model, to one model fine-tuned
 * from that base. The plugin learns Δ(m→n) from how the <em>base</em> changes between degrees m
 * and n; a model fine-tuned at m has adapted to m and is often much closer to itself at n than the
 * base was (its plain gap is smaller), so the full delta over-corrects. Each pair's delta is scaled
 * by how much of the base's gap the model still has:
 *
 * <pre>
 * factor(m→n) = min(1, sqrt(KL_model(m‖n) / KL_base(m‖n)))      applied scale = s · factor
 * </pre>
 *
 * <p>Both KLs are plain (no plugin), from a model at m to the same model at n, measured on the
 * same unlabelled frames: no labels are needed. The square root because a KL is second order in
 * the logit gap the delta has to close. For the base itself every factor is 1, so the plugin runs
 * exactly as trained; a pair whose base KL is 0 keeps factor 1.
 *
 * <p>File ({@value #FILE_NAME} next to the fine-tuned model's {@code model.json}): JSON with the
 * plugin's base and the model's weight hashes, the number of frames, and per pair {@code "m->n"}
 * the two KLs and the factor. A pair not in the file keeps factor 1.
 *
 * <pre>{@code
 * CompensatorCalibration cal = CompensatorCalibration.of(pluginBaseSha, modelSha, 500,
 *         CompensatorEvaluation.run(model, onModel, frames, pairs, 0, 64, log::info),
 *         CompensatorEvaluation.run(base, onBase, frames, pairs, 0, 64, log::info));
 * double s = plugin.config().defaultScale() * cal.factor(new CompensatorPair(8, 0));
 * }</pre>
 *
 * @param pluginBaseWeightsSha256 the weights hash of the base the plugin was trained on
 * @param modelWeightsSha256 the weights hash of the model the factors are for
 * @param images frames both KLs were measured on
 * @param pairs per pair: the two plain KLs and the factor, in measuring order
 */
public record CompensatorCalibration(
        String pluginBaseWeightsSha256,
        String modelWeightsSha256,
        int images,
        Map<CompensatorPair, PairFactor> pairs) {

    /** File name of a calibration in a model directory. */
    public static final String FILE_NAME = "tocom-scales.json";

    /** The rule's name in the file. */
    public static final String RULE = "sqrt-kl-ratio";

    static final int FORMAT_VERSION = 1;

    private static final Set<String> FIELDS =
            Set.of(
                    "formatVersion", "rule", "pluginBaseWeightsSha256", "modelWeightsSha256",
                    "images", "pairs");
    private static final Set<String> PAIR_FIELDS = Set.of("pair", "klModel", "klBase", "factor");

    /**
     * One pair's measurement.
     *
     * @param klModel KL(model at m ‖ model at n), nats per frame
     * @param klBase KL(base at m ‖ base at n) on the same frames
     * @param factor the scale factor in [0, 1]
     */
    public record PairFactor(double klModel, double klBase, double factor) {
        /** @throws IllegalArgumentException when a value is negative, not finite or factor > 1 */
        public PairFactor {
            if (!(klModel >= 0) || !(klBase >= 0) || Double.isInfinite(klModel)
                    || Double.isInfinite(klBase)) {
                throw new IllegalArgumentException(
                        "KLs must be finite and >= 0 but were " + klModel + " and " + klBase);
            }
            if (!(factor >= 0 && factor <= 1)) {
                throw new IllegalArgumentException("factor must be in [0, 1] but was " + factor);
            }
        }
    }

    /** @throws IllegalArgumentException on a blank hash or images < 1 */
    public CompensatorCalibration {
        if (pluginBaseWeightsSha256 == null || pluginBaseWeightsSha256.isBlank()
                || modelWeightsSha256 == null || modelWeightsSha256.isBlank()) {
            throw new IllegalArgumentException("both weight hashes must be given");
        }
        if (images < 1) {
            throw new IllegalArgumentException("images must be >= 1 but was " + images);
        }
        pairs = Collections.unmodifiableMap(new LinkedHashMap<>(pairs));
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
     * What lets {@code plugin} run on the model in {@code modelDir}: nothing (empty) when the model
     * is the plugin's base; the directory's {@value #FILE_NAME} when the model was fine-tuned from
     * that base and calibrated for this plugin.
     *
     * @throws CheckpointException naming both weight hashes when the model is not the base and has
     *     no calibration (with the command that makes one), or when its calibration is for another
     *     plugin base or other weights
     * @throws IllegalArgumentException naming both shapes when the architecture does not fit
     */
    public static Optional<CompensatorCalibration> forModel(TokenCompensator plugin, Path modelDir)
            throws IOException {
        plugin.requireArchitecture(org.tocomstream.model.ModelSpec.read(modelDir).architecture());
        String sha = TokenCompensator.weightsSha256(modelDir);
        if (sha.equals(plugin.baseWeightsSha256())) {
            return Optional.empty();
        }
        Optional<Path> file = inModelDir(modelDir);
        if (file.isEmpty()) {
            try {
                plugin.requireBase(sha, modelDir.toString());
            } catch (CheckpointException e) {
                throw new CheckpointException(
                        e.getMessage() + "; to apply it to a model fine-tuned from that base,"
                                + " calibrate it first: tocom calibrate --model " + modelDir
                                + " --plugin PLUGIN --base BASE_DIR (writes " + FILE_NAME + ")",
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
            json.name("rule").value(RULE);
            json.name("pluginBaseWeightsSha256").value(pluginBaseWeightsSha256);
            json.name("modelWeightsSha256").value(modelWeightsSha256);
            json.name("images").value(images);
            json.name("pairs").beginArray();
            for (Map.Entry<CompensatorPair, PairFactor> e : pairs.entrySet()) {
                json.beginObject();
                json.name("pair").value(e.getKey().toString());
                json.name("klModel").value(e.getValue().klModel());
                json.name("klBase").value(e.getValue().klBase());
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
            String rule = required(root, "rule", file).getAsString();
            if (!RULE.equals(rule)) {
                throw new CheckpointException(
                        String.format("%s: rule '%s' is not supported; only %s", file, rule, RULE));
            }
            Map<CompensatorPair, PairFactor> pairs = new LinkedHashMap<>();
            for (JsonElement p : required(root, "pairs", file).getAsJsonArray()) {
                JsonObject o = p.getAsJsonObject();
                known(o, PAIR_FIELDS, "pairs[].", file);
                CompensatorPair pair = CompensatorPair.parse(required(o, "pair", file).getAsString());
                PairFactor f;
                try {
                    f = new PairFactor(
                            required(o, "klModel", file).getAsDouble(),
                            required(o, "klBase", file).getAsDouble(),
                            required(o, "factor", file).getAsDouble());
                } catch (IllegalArgumentException e) {
                    throw new CheckpointException(file + ": pair " + pair + ": " + e.getMessage(), e);
                }
                if (pairs.put(pair, f) != null) {
                    throw new CheckpointException(file + ": pair " + pair + " is listed twice");
                }
            }
            return new CompensatorCalibration(
                    required(root, "pluginBaseWeightsSha256", file).getAsString(),
                    required(root, "modelWeightsSha256", file).getAsString(),
                    required(root, "images", file).getAsInt(),
                    pairs);
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

    /** One line per pair, e.g. {@code 8->0 KL 0.1076 / base 0.6163 -> factor 0.42}. */
    public String describe() {
        StringBuilder out = new StringBuilder();
        for (Map.Entry<CompensatorPair, PairFactor> e : pairs.entrySet()) {
            out.append(String.format(
                    Locale.ROOT, "%s KL %.5f / base %.5f -> factor %.3f%n", e.getKey(),
                    e.getValue().klModel(), e.getValue().klBase(), e.getValue().factor()));
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
