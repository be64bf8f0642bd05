package org.tocomstream.job.pipeline;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.apache.flink.configuration.ReadableConfig;
import org.tocomstream.compensate.CompensatorCalibration;
import org.tocomstream.compensate.DegreeAxis;
import org.tocomstream.compensate.DegreeSchedule;
import org.tocomstream.compensate.TokenCompensator;
import org.tocomstream.control.Ladder;
import org.tocomstream.control.MeasuredLadder;
import org.tocomstream.model.ModelSpec;
import org.tocomstream.stream.ModelConfig;

/**
 * Resolves the Token Compensator setting ({@link StreamJobOptions#COMPENSATOR}) on the client
 * before the job starts, so that a missing plugin or a plugin of another base model stops the
 * start with one clear line instead of failing every TaskManager, and describes it for the
 * effective configuration. The TaskManagers resolve and check it again when they load the model.
 *
 * <pre>
 * compensator: /models/vit_demo/tocom.safetensors (base vit_demo sha256 1a2b3c4d…, rank 2 per step,
 *   degrees 0..6, s = 0.1), applied at s = 0.1 to batches at ToMe degree n in 0..6, n != 0, as the pair 0->n
 * </pre>
 */
public final class CompensatorCheck {

    private CompensatorCheck() {}

    /**
     * One line (without trailing newline) saying which plugin the job applies, and how, or why
     * none.
     *
     * @throws IOException naming the file when the plugin cannot be read, and naming both weight
     *     hashes when it was trained for another model and the model has no calibration for it
     */
    public static String describe(ReadableConfig conf) throws IOException {
        ModelConfig model = VitLabelStage.modelConfig(conf);
        Path dir = Path.of(model.modelDir());
        Optional<Path> file = model.compensatorFile();
        if (file.isEmpty()) {
            return ModelConfig.COMPENSATOR_NONE.equals(model.compensator())
                    ? "compensator: none (" + ModelConfig.COMPENSATOR + " = none)"
                    : "compensator: none (no " + TokenCompensator.FILE_NAME + " in " + dir + ")";
        }
        TokenCompensator plugin = TokenCompensator.load(file.get());
        Optional<CompensatorCalibration> calibration = CompensatorCalibration.forModel(plugin, dir);
        ModelSpec spec = ModelSpec.read(dir);
        double scale = model.compensatorScale() != null
                ? model.compensatorScale()
                : plugin.defaultScale(calibration.orElse(null));
        DegreeAxis degrees = plugin.config().axis();
        int m = degrees.degreeOf(spec.trainedCompression()).orElse(-1);
        String applies;
        if (m < 0) {
            applies = "never applied: the model was trained at " + spec.trainedCompression()
                    + ", not a degree of the plugin (" + degrees.method() + ")";
        } else if (scale == 0) {
            applies = "never applied: s = 0";
        } else if (degrees.isLevelList()) {
            applies = String.format(
                    Locale.ROOT,
                    "applied at s = %s%s to batches at its other rungs, as the pair %s->rung",
                    scale,
                    calibration
                            .map(c -> " times the factors of " + CompensatorCalibration.FILE_NAME)
                            .orElse(""),
                    spec.trainedCompression());
        } else {
            applies = String.format(
                    Locale.ROOT,
                    "applied at s = %s%s to batches at %s in 0..%d, n != %d, as the pair %d->n",
                    scale,
                    calibration
                            .map(c -> String.format(
                                    Locale.ROOT,
                                    " times the factors of %s (%s; %s)",
                                    CompensatorCalibration.FILE_NAME,
                                    c.rule().id(),
                                    c.factorsText()))
                            .orElse(""),
                    degrees.schedule() == DegreeSchedule.CONSTANT ? "ToMe degree n" : degrees.method() + ":n, n",
                    plugin.config().maxDegree(),
                    m,
                    m);
        }
        if (m >= 0 && scale != 0) {
            applies += uncoveredRungs(conf, degrees, dir);
        }
        return "compensator: " + plugin.describe() + ", " + applies;
    }

    /**
     * {@code "; no delta for ladder rungs X, Y: …"} when the adaptive control's ladder has rungs
     * that are not degrees of the plugin (they run uncompensated), else empty. A ladder that
     * cannot be resolved says nothing here: the ladder's own line reports it.
     */
    static String uncoveredRungs(ReadableConfig conf, DegreeAxis degrees, Path dir) {
        if (conf.get(ControlOptions.POLICY) != ControlOptions.Policy.ADAPTIVE) {
            return "";
        }
        Ladder ladder;
        try {
            ladder = LadderChoice.resolve(conf, LadderChoice.costOf(conf)).ladder();
        } catch (IllegalArgumentException | UncheckedIOException e) {
            return "";
        }
        List<String> uncovered = new ArrayList<>();
        for (int i = 0; i < ladder.size(); i++) {
            if (degrees.degreeOf(ladder.level(i)).isEmpty()) {
                uncovered.add(ladder.level(i).toString());
            }
        }
        return uncovered.isEmpty()
                ? ""
                : String.format(
                        "; no delta for ladder rung%s %s: %s uncompensated (a plugin over the ladder's rungs:"
                                + " tocom train --model %s --images FRAMES_DIR --ladder %s)",
                        uncovered.size() == 1 ? "" : "s",
                        String.join(", ", uncovered),
                        uncovered.size() == 1 ? "it runs" : "they run",
                        dir,
                        dir.resolve(MeasuredLadder.FILE_NAME));
    }
}
