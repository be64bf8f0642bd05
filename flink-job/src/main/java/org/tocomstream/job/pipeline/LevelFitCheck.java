package org.tocomstream.job.pipeline;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.flink.configuration.ReadableConfig;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.compress.CostModel;
import org.tocomstream.compress.TokenGeometry;
import org.tocomstream.control.Ladder;
import org.tocomstream.model.ModelSpec;

/**
 * Checks, on the client, that every compression level the job may run fits the model in {@link
 * StreamJobOptions#MODEL_DIR} ({@link CompressionLevel#misfit}): {@link StreamJobOptions#LEVEL}
 * with the fixed policy, every rung of {@link ControlOptions#LADDER} with the adaptive one, or,
 * that not set, of the model's measured {@code ladder.json} ({@link LadderChoice}, which also
 * refuses a ladder measured on other weights; the ladder derived from the model is ToMe and
 * always fits). A DiffRate schedule made for another
 * token count or depth would fail every batch on the TaskManagers, restart after restart; here it
 * stops the start with one line naming the setting:
 *
 * <pre>
 * vit.control.ladder rung diffrate:deit-s@2.9 needs 197 tokens and 12 blocks; the model vit_demo
 *   has 65 tokens and 12 blocks (...)
 * </pre>
 *
 * <p>The inference operator checks the same when it opens the model, for jobs built by another
 * route. Token Compensator pairs are constant ToMe degrees, which fit every model.
 */
public final class LevelFitCheck {

    private LevelFitCheck() {}

    /**
     * One message per level the job may run that does not fit the model, each naming its option
     * key; empty when all fit.
     *
     * @throws IOException naming the file when the model's {@code model.json} cannot be read
     * @throws IllegalArgumentException when a level does not parse (checked earlier by {@link
     *     StreamJobOptions#validate})
     */
    public static List<String> problems(ReadableConfig conf) throws IOException {
        return problems(conf, ModelSpec.read(Path.of(conf.get(StreamJobOptions.MODEL_DIR))));
    }

    /** {@link #problems(ReadableConfig)} against a model already read. */
    static List<String> problems(ReadableConfig conf, ModelSpec spec) {
        var geometry = spec.architecture().geometry();
        String model = "the model " + spec.architecture().name();
        List<String> out = new ArrayList<>();
        CostModel cost;
        try {
            cost = StudentOptions.cost(conf, spec);
        } catch (IllegalArgumentException | UncheckedIOException e) {
            out.add(e.getMessage());
            return out;
        }
        if (conf.get(ControlOptions.POLICY) == ControlOptions.Policy.FIXED) {
            CompressionLevel level = CompressionLevel.parse(conf.get(StreamJobOptions.LEVEL));
            misfit(level, geometry, model, cost)
                    .ifPresent(why -> out.add(StreamJobOptions.LEVEL.key() + " " + level + " " + why));
            return out;
        }
        String ladder = conf.get(ControlOptions.LADDER);
        if (ladder == null || ladder.isBlank()) {
            // The model's ladder.json, when there is one: measured on these weights, rungs that fit.
            try {
                LadderChoice.resolve(conf, cost);
            } catch (IllegalArgumentException e) {
                out.add(e.getMessage());
            }
        } else {
            for (String text : ladder.split(Ladder.SEPARATOR, -1)) {
                CompressionLevel level = CompressionLevel.parse(text);
                misfit(level, geometry, model, cost)
                        .ifPresent(why -> out.add(ControlOptions.LADDER.key() + " rung " + level + " " + why));
            }
        }
        return out;
    }

    /** {@link CompressionLevel#misfit}, and for the student level whether the settings name a student. */
    private static Optional<String> misfit(
            CompressionLevel level, TokenGeometry geometry, String model, CostModel cost) {
        if (level.isStudent() && cost.student() == null) {
            return Optional.of("runs the student, but " + model + " has none: set " + StreamJobOptions.STUDENT.key()
                    + " (--student DIR) to the student's model directory");
        }
        return level.misfit(geometry, model);
    }

    /**
     * Fails with the first of {@link #problems}.
     *
     * @throws IllegalArgumentException naming the setting, the level and why it does not fit
     * @throws UncheckedIOException naming the model file when it cannot be read
     */
    public static void require(ReadableConfig conf) {
        List<String> problems;
        try {
            problems = problems(conf);
        } catch (IOException e) {
            Path file = Path.of(conf.get(StreamJobOptions.MODEL_DIR)).resolve(ModelSpec.FILE_NAME);
            throw new UncheckedIOException(
                    StreamJobOptions.MODEL_DIR.key() + ": cannot read " + file + ": " + e.getMessage(), e);
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(problems.get(0));
        }
    }
}
