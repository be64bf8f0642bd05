package org.tocomstream.compensate;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.model.CheckpointException;

/** Reads a sidecar's degree axis: {@code method} and, from version 2, the optional {@code levels}. */
final class PluginSidecarLevels {

    private PluginSidecarLevels() {}

    static DegreeAxis axis(JsonObject root, int version, String method, Path file) throws CheckpointException {
        JsonElement levels = root.get("levels");
        if (!method.equals(DegreeAxis.LEVELS_METHOD)) {
            if (levels != null) {
                throw new CheckpointException(String.format(
                        "%s: field 'levels' needs method '%s' but method is '%s'",
                        file, DegreeAxis.LEVELS_METHOD, method));
            }
            return DegreeAxis.of(DegreeSchedule.ofMethod(method)
                    .orElseThrow(() -> new CheckpointException(String.format(
                            "%s: method '%s' is not supported; only %s", file, method, DegreeSchedule.methods()))));
        }
        if (version < PluginSidecar.LEVELS_VERSION) {
            throw new CheckpointException(String.format(
                    "%s: method '%s' needs formatVersion %d but was %d",
                    file, DegreeAxis.LEVELS_METHOD, PluginSidecar.LEVELS_VERSION, version));
        }
        if (levels == null || !levels.isJsonArray()) {
            throw new CheckpointException(file + ": method 'levels' needs a 'levels' array of level texts");
        }
        List<CompressionLevel> list = new ArrayList<>();
        try {
            for (JsonElement e : levels.getAsJsonArray()) {
                if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
                    throw new IllegalArgumentException("every entry of 'levels' must be a string but got " + e);
                }
                list.add(CompressionLevel.parse(e.getAsString()));
            }
            return DegreeAxis.ofLevels(list);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(file + ": " + e.getMessage(), e);
        }
    }
}
