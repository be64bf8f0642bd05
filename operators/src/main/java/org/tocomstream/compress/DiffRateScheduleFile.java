package org.tocomstream.compress;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * The DiffRate schedule file: what a schedule search writes and {@code diffrate:file=PATH} reads.
 * A JSON object:
 *
 * <pre>{@code
 * {
 *   "format": "tocom-stream/diffrate-schedule",
 *   "version": 1,
 *   "tokens": 65,                      // N0 of the architecture, = both lists' block-0 entries
 *   "prune_kept": [65, 60, ...],       // P_l per block, prefix tokens included
 *   "merge_kept": [65, 58, ...],       // M_l per block, prefix tokens included
 *   "model": "vit_demo",               // optional, informational: the architecture searched on
 *   "target_gmacs": 0.12,              // optional, informational
 *   "gmacs": 0.1213                    // optional, informational: CostModel at this schedule
 * }
 * }</pre>
 *
 * <p>Other keys are allowed and ignored, so a search may record its provenance (data, epochs,
 * loss) beside the schedule. Reading checks the format, the version, that both lists are present,
 * equally long and start at {@code tokens}, and the rules of {@link DiffRateSchedule#of}.
 */
public final class DiffRateScheduleFile {

    /** The value of the {@code format} key. */
    public static final String FORMAT = "tocom-stream/diffrate-schedule";

    /** The version this code reads and writes. */
    public static final int VERSION = 1;

    private static final Gson GSON = new Gson();

    private DiffRateScheduleFile() {}

    /** Reads a schedule file. */
    public static DiffRateSchedule read(Path file) throws IOException {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        try {
            return fromJson(JsonParser.parseString(text));
        } catch (JsonParseException | IllegalStateException | UnsupportedOperationException | NumberFormatException e) {
            throw new IOException(file + ": not a DiffRate schedule file: " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Writes {@code schedule} with optional informational keys ({@code model}, {@code
     * target_gmacs}, {@code gmacs} or others: strings and numbers), replacing {@code file}.
     */
    public static void write(Path file, DiffRateSchedule schedule, Map<String, ?> info) throws IOException {
        Files.writeString(file, toJson(schedule, info), StandardCharsets.UTF_8);
    }

    /** The file's text for {@code schedule} and optional informational keys (strings or numbers). */
    public static String toJson(DiffRateSchedule schedule, Map<String, ?> info) {
        int[][] counts = schedule.counts();
        StringBuilder out = new StringBuilder("{\n");
        out.append("  \"format\": ").append(GSON.toJson(FORMAT)).append(",\n");
        out.append("  \"version\": ").append(VERSION).append(",\n");
        out.append("  \"tokens\": ").append(schedule.tokens()).append(",\n");
        out.append("  \"prune_kept\": ").append(Arrays.toString(counts[0])).append(",\n");
        out.append("  \"merge_kept\": ").append(Arrays.toString(counts[1]));
        for (Map.Entry<String, ?> e : info.entrySet()) {
            Object v = e.getValue();
            out.append(",\n  ").append(GSON.toJson(e.getKey())).append(": ");
            out.append(v instanceof Number ? GSON.toJson(v) : GSON.toJson(String.valueOf(v)));
        }
        return out.append("\n}\n").toString();
    }

    private static DiffRateSchedule fromJson(JsonElement root) {
        JsonObject o = root.getAsJsonObject();
        String format = required(o, "format").getAsString();
        if (!FORMAT.equals(format)) {
            throw new IllegalArgumentException("format is '" + format + "', expected '" + FORMAT + "'");
        }
        int version = required(o, "version").getAsInt();
        if (version != VERSION) {
            throw new IllegalArgumentException(
                    "version " + version + " is not supported (this code reads " + VERSION + ")");
        }
        int tokens = required(o, "tokens").getAsInt();
        int[] prune = ints(required(o, "prune_kept").getAsJsonArray());
        int[] merge = ints(required(o, "merge_kept").getAsJsonArray());
        DiffRateSchedule schedule = DiffRateSchedule.of(prune, merge);
        if (schedule.tokens() != tokens) {
            throw new IllegalArgumentException(String.format(
                    "tokens is %d but the block-0 counts are %d; they must be equal", tokens, schedule.tokens()));
        }
        return schedule;
    }

    private static JsonElement required(JsonObject o, String key) {
        JsonElement e = o.get(key);
        if (e == null || e.isJsonNull()) {
            throw new IllegalArgumentException("missing key '" + key + "'");
        }
        return e;
    }

    private static int[] ints(JsonArray a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            JsonElement e = a.get(i);
            out[i] = e.getAsInt();
            if (e.getAsDouble() != out[i]) {
                throw new IllegalArgumentException("count " + e + " is not an integer");
            }
        }
        return out;
    }
}
