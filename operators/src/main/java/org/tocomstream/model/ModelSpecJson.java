package org.tocomstream.model;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.stream.JsonWriter;
import java.io.IOException;
import java.io.StringWriter;
import java.math.BigDecimal;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.model.ModelSpec.PreprocessConfig;

/** Reads and writes {@code model.json}; the format is documented on {@link ModelSpec}. */
final class ModelSpecJson {

    private static final String PRESET = "preset";

    /** The fields of {@link VitConfig}, in constructor order, with their JSON type. */
    private enum ArchField {
        NAME("name", Kind.STRING, VitConfig::name),
        IMAGE_SIZE("imageSize", Kind.INT, VitConfig::imageSize),
        PATCH_SIZE("patchSize", Kind.INT, VitConfig::patchSize),
        IN_CHANNELS("inChannels", Kind.INT, VitConfig::inChannels),
        NUM_CLASSES("numClasses", Kind.INT, VitConfig::numClasses),
        EMBED_DIM("embedDim", Kind.INT, VitConfig::embedDim),
        DEPTH("depth", Kind.INT, VitConfig::depth),
        NUM_HEADS("numHeads", Kind.INT, VitConfig::numHeads),
        MLP_RATIO("mlpRatio", Kind.DOUBLE, VitConfig::mlpRatio),
        QKV_BIAS("qkvBias", Kind.BOOL, VitConfig::qkvBias),
        DISTILLED("distilled", Kind.BOOL, VitConfig::distilled),
        LAYER_NORM_EPS("layerNormEps", Kind.DOUBLE, VitConfig::layerNormEps),
        ATTENDED_FRACTION("attendedFraction", Kind.DOUBLE, VitConfig::attendedFraction, 1.0); // old files: plain

        final String json;
        final Kind kind;
        final Function<VitConfig, Object> getter;
        final Object fallback; // the value when neither the file nor a preset gives one; null: required

        ArchField(String json, Kind kind, Function<VitConfig, Object> getter) {
            this(json, kind, getter, null);
        }

        ArchField(String json, Kind kind, Function<VitConfig, Object> getter, Object fallback) {
            this.json = json;
            this.kind = kind;
            this.getter = getter;
            this.fallback = fallback;
        }
    }

    private enum Kind {
        STRING,
        INT,
        DOUBLE,
        BOOL
    }

    private ModelSpecJson() {}

    static ModelSpec read(Path file) throws IOException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new CheckpointException(
                    file + ": not found; a model directory holds " + ModelSpec.FILE_NAME + " next to its weights", e);
        } catch (MalformedInputException e) {
            throw new CheckpointException(file + ": not valid UTF-8", e);
        }
        JsonElement root;
        try {
            root = StrictJson.parse(text);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(file + ": not valid JSON: " + e.getMessage(), e);
        }
        return new Fields(file).spec(root);
    }

    static void write(ModelSpec spec, Path file) throws IOException {
        StringWriter text = new StringWriter();
        try (JsonWriter json = new JsonWriter(text)) {
            json.setIndent("  ");
            json.beginObject();
            json.name("formatVersion").value(spec.formatVersion());
            json.name("architecture");
            writeArchitecture(json, spec.architecture());
            json.name("labels").beginArray();
            for (String label : spec.labels()) {
                json.value(label);
            }
            json.endArray();
            PreprocessConfig pre = spec.preprocessing();
            json.name("preprocessing").beginObject();
            json.name("inputSize").value(pre.inputSize());
            json.name("mean");
            writeFloats(json, pre.mean());
            json.name("std");
            writeFloats(json, pre.std());
            json.name("interpolation").value(pre.interpolation());
            json.name("cropFraction").value(pre.cropFraction());
            json.endObject();
            json.name("trainedCompression").value(spec.trainedCompression().toString());
            json.name("weightsFile").value(spec.weightsFile());
            if (spec.source() != null) {
                json.name("source").value(spec.source());
            }
            json.endObject();
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(file, text + "\n", StandardCharsets.UTF_8);
    }

    /** A preset plus the fields that differ from it, or every field when no preset matches. */
    private static void writeArchitecture(JsonWriter json, VitConfig cfg) throws IOException {
        VitConfig base = VitConfig.presetNames().contains(cfg.name()) ? VitConfig.preset(cfg.name()) : null;
        json.beginObject();
        if (base != null) {
            json.name(PRESET).value(cfg.name());
        }
        for (ArchField f : ArchField.values()) {
            Object value = f.getter.apply(cfg);
            if (value.equals(base != null ? f.getter.apply(base) : f.fallback)) {
                continue;
            }
            json.name(f.json);
            switch (f.kind) {
                case STRING:
                    json.value((String) value);
                    break;
                case BOOL:
                    json.value((Boolean) value);
                    break;
                default:
                    json.value((Number) value);
            }
        }
        json.endObject();
    }

    private static void writeFloats(JsonWriter json, float[] values) throws IOException {
        json.beginArray();
        for (float v : values) {
            // Shortest text that reads back as the same float: 0.485, not 0.48500001430511475.
            json.value(new BigDecimal(Float.toString(v)));
        }
        json.endArray();
    }

    /** Typed access to the JSON tree with messages naming the file and the field path. */
    private static final class Fields {

        private final Path file;

        Fields(Path file) {
            this.file = file;
        }

        ModelSpec spec(JsonElement root) throws CheckpointException {
            JsonObject top = object(root, "(top level)");
            allowOnly(
                    top,
                    "",
                    List.of(
                            "formatVersion",
                            "architecture",
                            "labels",
                            "preprocessing",
                            "trainedCompression",
                            "weightsFile",
                            "source"));
            int version = integer(required(top, "formatVersion", ""), "formatVersion");
            if (version != ModelSpec.FORMAT_VERSION) {
                throw error(
                        "formatVersion %d is not supported; this version reads %d", version, ModelSpec.FORMAT_VERSION);
            }
            VitConfig arch = architecture(object(required(top, "architecture", ""), "architecture"));
            List<String> labels = strings(required(top, "labels", ""), "labels");
            PreprocessConfig pre = preprocessing(top.get("preprocessing"), PreprocessConfig.deitEval(arch.imageSize()));
            CompressionLevel level = CompressionLevel.none();
            if (top.has("trainedCompression")) {
                String levelText = string(top.get("trainedCompression"), "trainedCompression");
                try {
                    level = CompressionLevel.parse(levelText);
                } catch (IllegalArgumentException e) {
                    throw error("trainedCompression: %s", e.getMessage());
                }
            }
            String weights = top.has("weightsFile")
                    ? string(top.get("weightsFile"), "weightsFile")
                    : ModelSpec.DEFAULT_WEIGHTS_FILE;
            String source = top.has("source") ? string(top.get("source"), "source") : null;
            try {
                return new ModelSpec(version, arch, labels, pre, level, weights, source);
            } catch (IllegalArgumentException e) {
                throw error("%s", e.getMessage());
            }
        }

        private VitConfig architecture(JsonObject a) throws CheckpointException {
            List<String> allowed = new ArrayList<>();
            allowed.add(PRESET);
            for (ArchField f : ArchField.values()) {
                allowed.add(f.json);
            }
            allowOnly(a, "architecture.", allowed);
            VitConfig base = null;
            if (a.has(PRESET)) {
                String name = string(a.get(PRESET), "architecture.preset");
                try {
                    base = VitConfig.preset(name);
                } catch (IllegalArgumentException e) {
                    throw error("architecture.preset: %s", e.getMessage());
                }
            }
            Object[] v = new Object[ArchField.values().length];
            for (ArchField f : ArchField.values()) {
                String path = "architecture." + f.json;
                if (!a.has(f.json)) {
                    if (base == null && f.fallback != null) {
                        v[f.ordinal()] = f.fallback;
                        continue;
                    }
                    if (base == null) {
                        throw error(
                                "missing required field '%s' (give all architecture fields, or a"
                                        + " 'preset' with overrides)",
                                path);
                    }
                    v[f.ordinal()] = f.getter.apply(base);
                    continue;
                }
                JsonElement e = a.get(f.json);
                switch (f.kind) {
                    case STRING:
                        v[f.ordinal()] = string(e, path);
                        break;
                    case INT:
                        v[f.ordinal()] = integer(e, path);
                        break;
                    case DOUBLE:
                        v[f.ordinal()] = number(e, path);
                        break;
                    default:
                        v[f.ordinal()] = bool(e, path);
                }
            }
            try {
                return new VitConfig(
                        (String) v[0],
                        (int) v[1],
                        (int) v[2],
                        (int) v[3],
                        (int) v[4],
                        (int) v[5],
                        (int) v[6],
                        (int) v[7],
                        (double) v[8],
                        (boolean) v[9],
                        (boolean) v[10],
                        (double) v[11],
                        (double) v[12]);
            } catch (IllegalArgumentException e) {
                throw error("architecture: %s", e.getMessage());
            }
        }

        private PreprocessConfig preprocessing(JsonElement json, PreprocessConfig d) throws CheckpointException {
            if (json == null) {
                return d;
            }
            JsonObject p = object(json, "preprocessing");
            allowOnly(p, "preprocessing.", List.of("inputSize", "mean", "std", "interpolation", "cropFraction"));
            try {
                return new PreprocessConfig(
                        p.has("inputSize") ? integer(p.get("inputSize"), "preprocessing.inputSize") : d.inputSize(),
                        p.has("mean") ? floats(p.get("mean"), "preprocessing.mean") : d.mean(),
                        p.has("std") ? floats(p.get("std"), "preprocessing.std") : d.std(),
                        p.has("interpolation")
                                ? string(p.get("interpolation"), "preprocessing.interpolation")
                                : d.interpolation(),
                        p.has("cropFraction")
                                ? number(p.get("cropFraction"), "preprocessing.cropFraction")
                                : d.cropFraction());
            } catch (IllegalArgumentException e) {
                throw error("%s", e.getMessage());
            }
        }

        private JsonElement required(JsonObject o, String field, String prefix) throws CheckpointException {
            JsonElement e = o.get(field);
            if (e == null) {
                throw error("missing required field '%s%s'", prefix, field);
            }
            return e;
        }

        private void allowOnly(JsonObject o, String prefix, List<String> allowed) throws CheckpointException {
            Set<String> unknown = new LinkedHashSet<>(o.keySet());
            unknown.removeAll(allowed);
            if (!unknown.isEmpty()) {
                String first = unknown.iterator().next();
                throw error("unknown field '%s%s'; allowed here: %s", prefix, first, String.join(", ", allowed));
            }
        }

        private JsonObject object(JsonElement e, String path) throws CheckpointException {
            if (!e.isJsonObject()) {
                throw error("%s must be a JSON object but was %s", path, e);
            }
            return e.getAsJsonObject();
        }

        private int integer(JsonElement e, String path) throws CheckpointException {
            if (isNumber(e)) {
                try {
                    return new BigDecimal(e.getAsString()).intValueExact();
                } catch (ArithmeticException | NumberFormatException ex) {
                    // fall through to the error below
                }
            }
            throw error("%s must be an integer but was %s", path, e);
        }

        private double number(JsonElement e, String path) throws CheckpointException {
            if (!isNumber(e)) {
                throw error("%s must be a number but was %s", path, e);
            }
            return e.getAsDouble();
        }

        private boolean bool(JsonElement e, String path) throws CheckpointException {
            if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
                throw error("%s must be true or false but was %s", path, e);
            }
            return e.getAsBoolean();
        }

        private String string(JsonElement e, String path) throws CheckpointException {
            if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
                throw error("%s must be a string but was %s", path, e);
            }
            return e.getAsString();
        }

        private float[] floats(JsonElement e, String path) throws CheckpointException {
            if (!e.isJsonArray()) {
                throw error("%s must be an array of numbers but was %s", path, e);
            }
            JsonArray array = e.getAsJsonArray();
            float[] out = new float[array.size()];
            for (int i = 0; i < out.length; i++) {
                JsonElement v = array.get(i);
                number(v, path + "[" + i + "]");
                // Parse the text directly: rounding via double could differ from the float literal.
                out[i] = Float.parseFloat(v.getAsString());
            }
            return out;
        }

        private List<String> strings(JsonElement e, String path) throws CheckpointException {
            if (!e.isJsonArray()) {
                throw error("%s must be an array of strings but was %s", path, abbreviate(e));
            }
            List<String> out = new ArrayList<>();
            JsonArray array = e.getAsJsonArray();
            for (int i = 0; i < array.size(); i++) {
                out.add(string(array.get(i), path + "[" + i + "]"));
            }
            return out;
        }

        private static boolean isNumber(JsonElement e) {
            return e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber();
        }

        private static String abbreviate(JsonElement e) {
            String s = e.toString();
            return s.length() > 60 ? s.substring(0, 57) + "..." : s;
        }

        private CheckpointException error(String format, Object... args) {
            return new CheckpointException(file + ": " + String.format(format, args));
        }
    }
}
