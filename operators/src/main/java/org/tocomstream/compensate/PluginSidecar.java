package org.tocomstream.compensate;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.google.gson.stream.JsonWriter;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Set;
import org.tocomstream.model.CheckpointException;

/**
 * The JSON sidecar of a plugin file, documented on {@link TokenCompensator}. Unknown fields are
 * rejected, so a misspelt field cannot silently fall back to a default. Version 1: degrees of a ToMe
 * schedule ({@code method} tome or tome-decreasing). Version 2 adds {@code "method": "levels"} with
 * {@code "levels": ["none", "tome:4", ...]}, the rungs degree 0.. stand for; a plugin over a
 * schedule is still written as version 1, byte for byte as before.
 */
record PluginSidecar(
        int formatVersion,
        String method,
        String baseArchitecture,
        String baseWeightsSha256,
        int depth,
        int embedDim,
        CompensatorConfig config) {

    static final int FORMAT_VERSION = 1;

    /** The version that adds level lists ({@code "levels"}). */
    static final int LEVELS_VERSION = 2;

    private static final Set<String> FIELDS = Set.of(
            "formatVersion",
            "method",
            "baseModel",
            "rankPerStep",
            "maxDegree",
            "defaultScale",
            "depth",
            "embedDim",
            "levels");

    /** The version a plugin of {@code config} is written with: 1 for a schedule, 2 for a level list. */
    static int versionFor(CompensatorConfig config) {
        return config.axis().isLevelList() ? LEVELS_VERSION : FORMAT_VERSION;
    }

    private static final Set<String> BASE_FIELDS = Set.of("architecture", "weightsSha256");

    /** {@code plugin.safetensors} → {@code plugin.json}; any other name gets {@code .json} added. */
    static Path pathFor(Path pluginFile) {
        return sibling(pluginFile, ".json");
    }

    /** The file next to {@code pluginFile} with its {@code .safetensors} suffix replaced. */
    static Path sibling(Path pluginFile, String suffix) {
        String name = pluginFile.getFileName().toString();
        String stem = name.endsWith(".safetensors") ? name.substring(0, name.length() - ".safetensors".length()) : name;
        return pluginFile.resolveSibling(stem + suffix);
    }

    void write(Path file) throws IOException {
        StringWriter text = new StringWriter();
        try (JsonWriter json = new JsonWriter(text)) {
            json.setIndent("  ");
            json.beginObject();
            json.name("formatVersion").value(formatVersion);
            json.name("method").value(method);
            json.name("baseModel").beginObject();
            json.name("architecture").value(baseArchitecture);
            json.name("weightsSha256").value(baseWeightsSha256);
            json.endObject();
            json.name("rankPerStep").value(config.rankPerStep());
            json.name("maxDegree").value(config.maxDegree());
            json.name("defaultScale").value(config.defaultScale());
            json.name("depth").value(depth);
            json.name("embedDim").value(embedDim);
            if (config.axis().isLevelList()) {
                json.name("levels").beginArray();
                for (var level : config.axis().levels()) {
                    json.value(level.toString());
                }
                json.endArray();
            }
            json.endObject();
        }
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, text + "\n", StandardCharsets.UTF_8);
        Files.move(
                tmp,
                file,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    static PluginSidecar read(Path file) throws IOException {
        JsonObject root = parseObject(file);
        rejectUnknown(root, FIELDS, "", file);
        int version = integer(root, "formatVersion", file);
        if (version != FORMAT_VERSION && version != LEVELS_VERSION) {
            throw new CheckpointException(String.format(
                    "%s: formatVersion %d is not supported; this version reads %d and %d",
                    file, version, FORMAT_VERSION, LEVELS_VERSION));
        }
        String method = string(root, "method", file);
        DegreeAxis schedule = PluginSidecarLevels.axis(root, version, method, file);
        JsonElement base = root.get("baseModel");
        if (base == null || !base.isJsonObject()) {
            throw new CheckpointException(file + ": baseModel must be an object");
        }
        JsonObject b = base.getAsJsonObject();
        rejectUnknown(b, BASE_FIELDS, "baseModel.", file);
        CompensatorConfig config = config(root, schedule, file);
        int depth = integer(root, "depth", file);
        int embedDim = integer(root, "embedDim", file);
        if (depth < 1 || embedDim < 1) {
            throw new CheckpointException(
                    String.format("%s: depth and embedDim must be >= 1 but were %d and %d", file, depth, embedDim));
        }
        return new PluginSidecar(
                version,
                method,
                string(b, "architecture", file),
                string(b, "weightsSha256", file),
                depth,
                embedDim,
                config);
    }

    /** The file's text parsed, which must be one JSON object. */
    private static JsonObject parseObject(Path file) throws IOException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new CheckpointException(
                    file + ": missing plugin sidecar (every plugin .safetensors file needs its" + " .json next to it)",
                    e);
        }
        try {
            JsonElement parsed = JsonParser.parseString(text);
            if (!parsed.isJsonObject()) {
                throw new CheckpointException(file + ": expected a JSON object");
            }
            return parsed.getAsJsonObject();
        } catch (RuntimeException e) {
            throw new CheckpointException(file + ": not valid JSON: " + e.getMessage(), e);
        }
    }

    /** Fails on the first field of {@code o} not in {@code fields}, named with {@code prefix}. */
    private static void rejectUnknown(JsonObject o, Set<String> fields, String prefix, Path file)
            throws CheckpointException {
        for (String key : o.keySet()) {
            if (!fields.contains(key)) {
                throw new CheckpointException(
                        String.format("%s: unknown field '%s%s'; expected %s", file, prefix, key, fields));
            }
        }
    }

    /** The compensator settings; a value they refuse is reported against the file. */
    private static CompensatorConfig config(JsonObject root, DegreeAxis schedule, Path file)
            throws CheckpointException {
        try {
            return new CompensatorConfig(
                    integer(root, "rankPerStep", file),
                    integer(root, "maxDegree", file),
                    number(root, "defaultScale", file),
                    schedule);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(file + ": " + e.getMessage(), e);
        }
    }

    private static JsonPrimitive primitive(JsonObject o, String key, Path file) throws CheckpointException {
        JsonElement e = o.get(key);
        if (e == null || !e.isJsonPrimitive()) {
            throw new CheckpointException(file + ": missing or non-scalar field '" + key + "'");
        }
        return e.getAsJsonPrimitive();
    }

    static String string(JsonObject o, String key, Path file) throws CheckpointException {
        JsonPrimitive p = primitive(o, key, file);
        if (!p.isString()) {
            throw new CheckpointException(file + ": field '" + key + "' must be a string");
        }
        return p.getAsString();
    }

    private static double number(JsonObject o, String key, Path file) throws CheckpointException {
        JsonPrimitive p = primitive(o, key, file);
        if (!p.isNumber()) {
            throw new CheckpointException(file + ": field '" + key + "' must be a number");
        }
        return p.getAsDouble();
    }

    static int integer(JsonObject o, String key, Path file) throws CheckpointException {
        double d = number(o, key, file);
        if (d != Math.rint(d) || Math.abs(d) > Integer.MAX_VALUE) {
            throw new CheckpointException(file + ": field '" + key + "' must be an integer but was " + d);
        }
        return (int) d;
    }
}
