package org.tocomstream.job.tocom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.tocomstream.job.testutils.CommandLines.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tocomstream.compensate.CalibrationVerdict;
import org.tocomstream.compensate.CompensatorCalibration;
import org.tocomstream.compensate.CompensatorConfig;
import org.tocomstream.compensate.DegreeAxis;
import org.tocomstream.compensate.TokenCompensator;
import org.tocomstream.job.testutils.CommandLines.Result;
import org.tocomstream.model.ModelSpec;

/** What {@code tocom calibrate} says about whether a base's plugin helps the model it calibrated. */
class TocomCalibrateAdviceTest {

    @TempDir
    Path tmp;

    /**
     * A fresh plugin (up projections zero: every delta is zero) for {@code base} over constant
     * degrees 0..3: no scale can lower any pair's KL, so the line search turns every pair off.
     */
    private Path zeroPlugin(Path base) throws IOException {
        Path file = Files.createDirectories(tmp.resolve("zero")).resolve("tocom.safetensors");
        TokenCompensator.initial(
                        ModelSpec.read(base).architecture(),
                        TokenCompensator.weightsSha256(base),
                        new CompensatorConfig(2, 3, 0.5),
                        0)
                .save(file);
        return file;
    }

    private Result calibrate(Path model, Path plugin) {
        return run(
                "tocom",
                "calibrate",
                "--model",
                model.toString(),
                "--plugin",
                plugin.toString(),
                "--scales",
                "0.5,1",
                "--generator",
                "--data-seed",
                "3",
                "--noise",
                "5",
                "--size",
                "16");
    }

    @Test
    void aPluginThatHelpsNoPairOfAFineTunedModelPrintsTheCommandThatTrainsOneOnTheModelAndThatCommandWorks()
            throws IOException {
        Path base = TocomCommandTest.modelDir(tmp.resolve("base"), 1);
        Path tuned = TocomCommandTest.modelDir(tmp.resolve("tuned"), 5); // other weights, trained at tome:1
        Result r = calibrate(tuned, zeroPlugin(base));

        assertThat(r.status()).as(r.err()).isZero();
        assertThat(tuned.resolve(CompensatorCalibration.FILE_NAME)).exists(); // still written: the user decides
        Path own = tuned.resolve("tocom.safetensors");
        String train = "tocom train --model " + tuned + " --generator --data-seed 3 --noise 5 --degrees constant"
                + " --max-degree 3 --rank-per-step 2 --out " + own;
        String calibrateOwn =
                "tocom calibrate --model " + tuned + " --plugin " + own + " --generator --data-seed 3 --noise 5";
        assertThat(r.out().lines().toList())
                .anySatisfy(l -> assertThat(l)
                        .startsWith("warning: the plugin does not help this model: the line search turned the"
                                + " plugin off for 3 of 3 pairs; mean KL ")
                        .endsWith("(+0.0 %) (it helps when at most 50 % of the pairs are off and the mean KL falls"
                                + " by 10 % or more)"))
                .contains("  " + train, "  " + calibrateOwn);

        // The printed command, as a user would run it (smaller here), trains a plugin on the model
        // itself; its calibration then needs no base.
        List<String> argv = new ArrayList<>(Arrays.asList(train.split(" ")));
        argv.addAll(List.of("--train-size", "16", "--held-out-size", "0", "--batch", "16", "--epochs", "1"));
        Result trained = run(argv.toArray(String[]::new));
        assertThat(trained.status()).as(trained.err()).isZero();
        assertThat(TokenCompensator.loadFor(own, tuned).config().maxDegree()).isEqualTo(3);
        List<String> fit = new ArrayList<>(Arrays.asList(calibrateOwn.split(" ")));
        fit.addAll(List.of("--size", "16", "--scales", "0.5,1"));
        Result again = run(fit.toArray(String[]::new));
        assertThat(again.status()).as(again.err()).isZero();
        assertThat(CompensatorCalibration.load(tuned.resolve(CompensatorCalibration.FILE_NAME))
                        .pluginBaseWeightsSha256())
                .isEqualTo(TokenCompensator.weightsSha256(tuned));
    }

    @Test
    void onThePluginsOwnBaseTheWarningSaysToTrainLongerInstead() throws IOException {
        Path base = TocomCommandTest.modelDir(tmp.resolve("base"), 1);
        Result r = calibrate(base, zeroPlugin(base));

        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out())
                .contains("warning: the plugin does not help this model: the line search turned the plugin off for 3"
                        + " of 3 pairs")
                .contains("this model is the plugin's base: train the plugin longer or on more frames")
                .doesNotContain("tocom train --model");
    }

    @Test
    void aPluginThatHelpsGetsOneLineAndARungPluginsCommandQuotesItsLevels() throws IOException {
        TokenCompensator rungs = TokenCompensator.initial(
                TocomCommandTest.TINY,
                "base",
                CompensatorConfig.overLevels(3, 0.1, DegreeAxis.parseLevels("none;tome:2;evit:0.7")),
                0);
        Path model = tmp.resolve("my model");

        assertThat(TocomCalibrateAdvice.text(new CalibrationVerdict(2, 0, 0.2, 0.1), rungs, model, false, List.of()))
                .isEqualTo("the plugin helps this model: the line search turned the plugin off for 0 of 2 pairs;"
                        + " mean KL 0.20000 -> 0.10000 (-50.0 %)" + System.lineSeparator());
        assertThat(TocomCalibrateAdvice.text(
                        new CalibrationVerdict(2, 2, 0.2, 0.2), rungs, model, false, List.of("--images", "/f")))
                .contains("  tocom train --model '" + model + "' --images /f --levels 'none;tome:2;evit:0.7'"
                        + " --rank-per-step 3 --out '" + model.resolve("tocom.safetensors") + "'");
    }
}
