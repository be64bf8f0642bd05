package org.tocomstream.control;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.compress.CostModel;

/**
 * A ladder measured on the user's frames and machine, as the {@code ladder} command writes it
 * into the model directory ({@value #FILE_NAME}) and the job reads it back: every candidate
 * level's quality and end-to-end frames/s, and the rungs chosen from them ({@link
 * LadderSelection}). The JSON object has exactly these fields (a record each, Gson):
 *
 * <pre>{@code
 * {
 *   "schemaVersion": 1,
 *   "command": "ladder --model /models/cams --images /frames",
 *   "createdAt": "2026-12-07T02:40:00Z",
 *   "machine": {"cpuModel": "…", "cores": 16, "javaVersion": "17.0.12"},
 *   "model": {"architecture": "vit_demo", "weightsSha256": "1a2b…"},
 *   "data": {"description": "…", "images": 500, "labelled": false},
 *   "batch": 8,
 *   "metric": "agreement",                         // or "top1"
 *   "candidates": [{"level": "tome:3", "family": "tome", "relativeMacs": 0.71, "quality": 0.97,
 *                   "kl": 0.02, "framesPerSecond": 181.0, "speedup": 1.21, "pareto": true}, …],
 *   "rungs": [{"target": 1.0, "level": "none", "speedup": 1.0, "quality": 0.99},
 *             {"target": 1.5, "level": "evit:0.6", "speedup": 1.58, "quality": 0.95},
 *             {"target": 3.0, "level": null, "speedup": 2.4, "quality": null}],  // unreachable
 *   "student": {"dir": "/models/cams-tiny", "model": "vit_demo_tiny@1a2b3c4d"}  // or null
 * }
 * }</pre>
 *
 * <p>{@code student} names the student model measured as the candidate {@code student} (the {@code
 * ladder} command's {@code --student}); null, or absent in files written before it existed, when
 * there was none. A ladder with a {@code student} rung needs that student in the job.
 *
 * <p>{@link #ladder} gives the controller's rungs: the distinct non-null rung levels, in order.
 */
public record MeasuredLadder(
        int schemaVersion,
        String command,
        String createdAt,
        Machine machine,
        Model model,
        Data data,
        int batch,
        String metric,
        List<Candidate> candidates,
        List<Rung> rungs,
        Student student) {

    /** The file's name in a model directory. */
    public static final String FILE_NAME = "ladder.json";

    /** The version this code reads and writes. */
    public static final int SCHEMA_VERSION = 1;

    /** Quality is top-1 accuracy on labelled frames. */
    public static final String TOP1 = "top1";

    /** Quality is agreement with the uncompressed model's top-1 on unlabelled frames. */
    public static final String AGREEMENT = "agreement";

    /** The text of the uncompressed level, rung 0. */
    public static final String NONE = CompressionLevel.none().toString();

    private static final Gson GSON =
            new GsonBuilder().setPrettyPrinting().serializeNulls().create();

    /** The machine the speeds were measured on. */
    public record Machine(String cpuModel, int cores, String javaVersion) {}

    /** The model measured: its architecture and the SHA-256 of its weights file. */
    public record Model(String architecture, String weightsSha256) {
        public Model {
            Objects.requireNonNull(weightsSha256, "model.weightsSha256");
        }
    }

    /**
     * The student measured as the level {@code student}: its model directory as given and its id,
     * {@code <architecture>@<first 8 hex digits of the weights' SHA-256>}.
     */
    public record Student(String dir, String model) {}

    /** The frames measured on. */
    public record Data(String description, int images, boolean labelled) {}

    /** One measured level; {@code speedup} is its frames/s over {@code none}'s in the same run. */
    public record Candidate(
            String level,
            String family,
            double relativeMacs,
            double quality,
            Double kl,
            double framesPerSecond,
            double speedup,
            boolean pareto) {}

    /**
     * One requested speed-up and the level chosen for it; {@code level} and {@code quality} are
     * null when no candidate reaches the target, and {@code speedup} is then the best seen.
     */
    public record Rung(double target, String level, double speedup, Double quality) {

        /** Whether a level reaches the target. */
        public boolean reachable() {
            return level != null;
        }
    }

    /** @throws IllegalArgumentException when a required part is missing or rung 0 is not none */
    public MeasuredLadder {
        Objects.requireNonNull(model, FILE_NAME + ": model is missing");
        Objects.requireNonNull(model.weightsSha256(), FILE_NAME + ": model.weightsSha256 is missing");
        candidates = List.copyOf(Objects.requireNonNull(candidates, FILE_NAME + ": candidates are missing"));
        rungs = List.copyOf(Objects.requireNonNull(rungs, FILE_NAME + ": rungs are missing"));
        if (rungs.isEmpty() || !NONE.equals(rungs.get(0).level())) {
            throw new IllegalArgumentException(FILE_NAME + ": rung 0 must be none");
        }
    }

    /** A ladder measured without a student. */
    public MeasuredLadder(
            int schemaVersion,
            String command,
            String createdAt,
            Machine machine,
            Model model,
            Data data,
            int batch,
            String metric,
            List<Candidate> candidates,
            List<Rung> rungs) {
        this(schemaVersion, command, createdAt, machine, model, data, batch, metric, candidates, rungs, null);
    }

    /** The levels of the reachable rungs, in ladder order, each once. */
    public List<CompressionLevel> levels() {
        List<CompressionLevel> out = new ArrayList<>();
        for (Rung r : rungs) {
            if (r.reachable()) {
                CompressionLevel level = CompressionLevel.parse(r.level());
                if (!out.contains(level)) {
                    out.add(level);
                }
            }
        }
        return out;
    }

    /**
     * The controller's ladder: {@link #levels()}, each costed by its measured end-to-end speed-up
     * rather than by its MACs: {@code none}'s MACs ({@code cost}) over the rung's speed-up. The
     * controller predicts a rung it has not run from one it has by the ratio of their costs, and
     * end to end that ratio is far from the MACs ratio (a rung at 0.44 of the MACs measured 1.14x
     * with 320-px frames, where decoding and Kafka cost the same at every rung).
     *
     * @throws IllegalArgumentException when a later rung is not faster than an earlier one (a file
     *     written before rungs were ordered by measured speed-up: measure again)
     */
    public Ladder ladder(CostModel cost) {
        double noneGmacs = cost.gmacs(CompressionLevel.none());
        List<Ladder.Rung> out = new ArrayList<>();
        Rung previous = null;
        for (Rung r : rungs) {
            if (!r.reachable() || (previous != null && r.level().equals(previous.level()))) {
                continue;
            }
            if (previous != null && !(r.speedup() > previous.speedup())) {
                throw new IllegalArgumentException(String.format(
                        "%s: rung %s (%.2fx) is not faster than the rung before, %s (%.2fx); a file"
                                + " written before rungs were ordered by measured speed-up: measure again",
                        FILE_NAME, r.level(), r.speedup(), previous.level(), previous.speedup()));
            }
            out.add(new Ladder.Rung(CompressionLevel.parse(r.level()), noneGmacs / r.speedup()));
            previous = r;
        }
        return new Ladder(out);
    }

    /** The requested speed-ups no candidate reached. */
    public List<Double> unreachable() {
        return rungs.stream().filter(r -> !r.reachable()).map(Rung::target).toList();
    }

    /** The JSON text. */
    public String toJson() {
        return GSON.toJson(this) + "\n";
    }

    /** Writes the JSON text, replacing {@code file}. */
    public void write(Path file) throws IOException {
        Files.writeString(file, toJson(), StandardCharsets.UTF_8);
    }

    /** Parses the JSON text. @throws IllegalArgumentException naming what is wrong */
    public static MeasuredLadder fromJson(String text) {
        MeasuredLadder read;
        try {
            read = GSON.fromJson(text, MeasuredLadder.class);
        } catch (JsonParseException | IllegalStateException e) {
            throw new IllegalArgumentException("not a measured ladder: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            // Gson wraps what a record's constructor throws (a missing part, rung 0 not none).
            Throwable why = e.getCause() != null ? e.getCause() : e;
            throw new IllegalArgumentException(why.getMessage(), e);
        }
        if (read == null) {
            throw new IllegalArgumentException("not a measured ladder: empty");
        }
        if (read.schemaVersion() != SCHEMA_VERSION) {
            throw new IllegalArgumentException("schemaVersion " + read.schemaVersion()
                    + " is not supported (this code reads " + SCHEMA_VERSION + ")");
        }
        for (Rung r : read.rungs()) {
            if (r.reachable()) {
                CompressionLevel.parse(r.level());
            }
        }
        return read;
    }

    /**
     * Reads {@code file}.
     *
     * @throws IOException naming the file when it cannot be read or is not a measured ladder
     */
    public static MeasuredLadder read(Path file) throws IOException {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        try {
            return fromJson(text);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }
}
