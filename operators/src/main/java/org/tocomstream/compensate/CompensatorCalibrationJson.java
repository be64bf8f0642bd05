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
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.tocomstream.compensate.CompensatorCalibration.PairFactor;
import org.tocomstream.compensate.CompensatorCalibration.Rule;
import org.tocomstream.model.CheckpointException;

/**
 * Reads and writes a calibration file ({@value CompensatorCalibration#FILE_NAME}); the format is
 * documented on {@link CompensatorCalibration}. Unknown fields are rejected.
 */
final class CompensatorCalibrationJson {

    static final int FORMAT_VERSION = 1;

    private static final Set<String> FIELDS = Set.of(
            "formatVersion", "rule", "pluginBaseWeightsSha256", "modelWeightsSha256", "images", "scale", "pairs");
    private static final Map<Rule, Set<String>> PAIR_FIELDS = Map.of(
            Rule.SQRT_KL_RATIO, Set.of("pair", "klModel", "klBase", "factor"),
            Rule.KL_LINE_SEARCH, Set.of("pair", "klModel", "klCompensated", "factor"));

    private CompensatorCalibrationJson() {}

    /** Writes {@code calibration} to {@code file}, replaced atomically. */
    static void write(CompensatorCalibration calibration, Path file) throws IOException {
        StringWriter text = new StringWriter();
        try (JsonWriter json = new JsonWriter(text)) {
            json.setIndent("  ");
            json.beginObject();
            json.name("formatVersion").value(FORMAT_VERSION);
            json.name("rule").value(calibration.rule().id());
            json.name("pluginBaseWeightsSha256").value(calibration.pluginBaseWeightsSha256());
            json.name("modelWeightsSha256").value(calibration.modelWeightsSha256());
            json.name("images").value(calibration.images());
            if (!Double.isNaN(calibration.scale())) {
                json.name("scale").value(calibration.scale());
            }
            json.name("pairs").beginArray();
            for (Map.Entry<CompensatorPair, PairFactor> e : calibration.pairs().entrySet()) {
                json.beginObject();
                json.name("pair").value(e.getKey().toString());
                json.name("klModel").value(e.getValue().klModel());
                if (calibration.rule() == Rule.SQRT_KL_RATIO) {
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

    /** @throws CheckpointException naming the file and the field that is wrong */
    static CompensatorCalibration read(Path file) throws IOException {
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
            rejectUnknown(root, FIELDS, "", file);
            if (root.has("formatVersion") && root.get("formatVersion").getAsInt() != FORMAT_VERSION) {
                throw new CheckpointException(String.format(
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
            Map<CompensatorPair, PairFactor> pairs = readPairs(root, rule, file);
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

    /** The {@code pairs} array, for {@code rule}; a pair listed twice is an error. */
    private static Map<CompensatorPair, PairFactor> readPairs(JsonObject root, Rule rule, Path file)
            throws CheckpointException {
        boolean search = rule == Rule.KL_LINE_SEARCH;
        Map<CompensatorPair, PairFactor> pairs = new LinkedHashMap<>();
        for (JsonElement p : required(root, "pairs", file).getAsJsonArray()) {
            JsonObject o = p.getAsJsonObject();
            rejectUnknown(o, PAIR_FIELDS.get(rule), "pairs[].", file);
            CompensatorPair pair =
                    CompensatorPair.parse(required(o, "pair", file).getAsString());
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
        return pairs;
    }

    private static void rejectUnknown(JsonObject o, Set<String> fields, String prefix, Path file)
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
