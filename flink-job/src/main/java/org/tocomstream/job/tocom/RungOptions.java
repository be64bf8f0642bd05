package org.tocomstream.job.tocom;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.tocomstream.compensate.DegreeAxis;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.job.cli.Cli;
import org.tocomstream.job.cli.CommandFailedException;
import org.tocomstream.job.cli.OptionParser;
import org.tocomstream.job.cli.ParsedArgs;
import org.tocomstream.job.cli.UsageException;

/**
 * {@code --levels "none;tome:4;evit:0.7"} and {@code --ladder FILE}: the rungs a plugin's degrees
 * stand for ({@link DegreeAxis}), given as a list or read from a {@code ladder.json} whose top-level
 * object has {@code "rungs": [{"level": "<level text>", ...}, ...]}, rung 0 first (other fields are
 * ignored).
 *
 * @param levels the {@code --levels} list, or null
 * @param ladder the {@code --ladder} file, or null
 */
record RungOptions(DegreeAxis levels, Path ladder) {

    static final String LEVELS = "--levels";
    static final String LADDER = "--ladder";

    static OptionParser declare(OptionParser parser, String what) {
        return parser.value(
                        LEVELS,
                        "LIST",
                        what + " over these rungs, degree i = the i-th level, e.g.\n"
                                + "'none;tome:4;evit:0.7;idle:0.6' (any family)")
                .value(LADDER, "FILE", "as --levels, the rungs of a ladder.json (rungs[].level, rung 0 first)");
    }

    /** The options as given (the ladder file is read by {@link #axis()}). */
    static RungOptions parse(ParsedArgs args) throws UsageException {
        args.atMostOne(LEVELS, LADDER);
        DegreeAxis levels = null;
        if (args.has(LEVELS)) {
            String text = args.string(LEVELS, "");
            try {
                levels = DegreeAxis.parseLevels(text);
            } catch (IllegalArgumentException e) {
                throw args.error(LEVELS, e.getMessage());
            }
        }
        return new RungOptions(levels, args.path(LADDER).orElse(null));
    }

    /** Whether either option was given. */
    boolean given() {
        return levels != null || ladder != null;
    }

    /**
     * The rungs: the list, or the ladder file's.
     *
     * @throws CommandFailedException naming the file when it cannot be read or has no valid rungs
     */
    DegreeAxis axis() throws CommandFailedException {
        if (levels != null || ladder == null) {
            return levels;
        }
        try {
            return read(ladder);
        } catch (IOException | RuntimeException e) {
            throw new CommandFailedException("cannot read " + LADDER + " " + ladder + ": " + Cli.describe(e), e);
        }
    }

    /**
     * The rungs of a ladder.json, in order: as the {@code ladder} command writes it, a target no
     * level reached has a null level (skipped) and two targets may share a level (kept once).
     */
    static DegreeAxis read(Path file) throws IOException {
        JsonElement root = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8));
        if (!root.isJsonObject()
                || !root.getAsJsonObject().has("rungs")
                || !root.getAsJsonObject().get("rungs").isJsonArray()) {
            throw new IllegalArgumentException("expected an object with a \"rungs\" array");
        }
        List<CompressionLevel> levels = new ArrayList<>();
        int i = 0;
        for (JsonElement rung : root.getAsJsonObject().getAsJsonArray("rungs")) {
            JsonElement level = rung.isJsonObject() ? ((JsonObject) rung).get("level") : null;
            if (level != null && level.isJsonNull()) {
                i++;
                continue;
            }
            if (level == null
                    || !level.isJsonPrimitive()
                    || !level.getAsJsonPrimitive().isString()) {
                throw new IllegalArgumentException("rungs[" + i + "] has no \"level\" text");
            }
            CompressionLevel parsed = CompressionLevel.parse(level.getAsString());
            if (!levels.contains(parsed)) {
                levels.add(parsed);
            }
            i++;
        }
        return DegreeAxis.ofLevels(levels);
    }
}
