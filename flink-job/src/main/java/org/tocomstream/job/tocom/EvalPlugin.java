package org.tocomstream.job.tocom;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import org.tocomstream.compensate.CompensatorCalibration;
import org.tocomstream.compensate.CompensatorEvaluation;
import org.tocomstream.compensate.CompensatorPair;
import org.tocomstream.compensate.DegreeAxis;
import org.tocomstream.compensate.TokenCompensator;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.job.cli.Cli;
import org.tocomstream.job.cli.CommandFailedException;
import org.tocomstream.model.ModelSpec;

/**
 * The plugin {@code tocom eval} measures, resolved as the stream resolves it ({@link
 * CompensatorCalibration#forModel}, as {@code ModelRegistry} does): trained for the model itself, or
 * for its base with a calibration in the model's directory, whose factors then scale each pair.
 *
 * @param calibration the model's calibration for the plugin, or null
 * @param calibrationFile its file, or null
 * @param trained the model's {@code trainedCompression}
 */
record EvalPlugin(
        TokenCompensator plugin, CompensatorCalibration calibration, Path calibrationFile, CompressionLevel trained) {

    static EvalPlugin resolve(Path pluginFile, Path modelDir) throws CommandFailedException {
        try {
            TokenCompensator plugin = TokenCompensator.load(pluginFile);
            CompensatorCalibration calibration =
                    CompensatorCalibration.forModel(plugin, modelDir).orElse(null);
            return new EvalPlugin(
                    plugin,
                    calibration,
                    calibration == null
                            ? null
                            : CompensatorCalibration.inModelDir(modelDir).orElseThrow(),
                    ModelSpec.read(modelDir).trainedCompression());
        } catch (IOException | RuntimeException e) {
            throw new CommandFailedException("cannot load --plugin " + pluginFile + ": " + Cli.describe(e), e);
        }
    }

    /**
     * The grid without {@code --grid}: every pair among {@code rungs} (from {@code --levels} or
     * {@code --ladder}; each must be a degree of the plugin), else with a calibration the stream's
     * pairs (trained degree → every degree), else every pair of the plugin.
     */
    List<CompensatorPair> defaultGrid(DegreeAxis rungs) throws CommandFailedException {
        DegreeAxis axis = plugin.config().axis();
        if (rungs != null) {
            List<Integer> degrees = new ArrayList<>();
            for (CompressionLevel level : rungs.levels()) {
                OptionalInt d = axis.degreeOf(level);
                if (d.isEmpty() || !plugin.config().covers(d.getAsInt())) {
                    throw new CommandFailedException(String.format(
                            "rung %s is not a degree of the plugin %s (%s)",
                            level, plugin.describe(), plugin.config().degreesText()));
                }
                degrees.add(d.getAsInt());
            }
            List<CompensatorPair> pairs = new ArrayList<>();
            for (int m : degrees) {
                for (int n : degrees) {
                    pairs.add(new CompensatorPair(m, n));
                }
            }
            return pairs;
        }
        if (calibration == null) {
            return CompensatorEvaluation.allPairs(plugin.config().maxDegree());
        }
        OptionalInt m = axis.degreeOf(trained);
        if (m.isEmpty() || !plugin.config().covers(m.getAsInt())) {
            throw new CommandFailedException(String.format(
                    "the model was trained at %s, not a degree of the plugin (%s)",
                    trained, plugin.config().degreesText()));
        }
        List<CompensatorPair> pairs = new ArrayList<>();
        for (int n = 0; n <= plugin.config().maxDegree(); n++) {
            pairs.add(new CompensatorPair(m.getAsInt(), n));
        }
        return pairs;
    }
}
