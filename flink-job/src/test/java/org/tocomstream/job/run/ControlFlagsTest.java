package org.tocomstream.job.run;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.compress.CostModel;
import org.tocomstream.control.ControllerConfig;
import org.tocomstream.control.Ladder;
import org.tocomstream.control.Shedding;
import org.tocomstream.job.cli.OptionParser;
import org.tocomstream.job.cli.ParsedArgs;
import org.tocomstream.job.cli.UsageException;
import org.tocomstream.job.pipeline.ControlOptions;
import org.tocomstream.job.pipeline.EffectiveConfig;
import org.tocomstream.job.pipeline.StreamJobOptions;
import org.tocomstream.model.VitConfig;
import org.tocomstream.stream.BatchPlan;
import org.tocomstream.stream.DecodedFrame;
import org.tocomstream.stream.LevelSource;
import org.tocomstream.stream.LoadSignals;

/** The load controller's flags, options, validation and the local run's adaptive default. */
class ControlFlagsTest {

    private static final OptionParser PARSER =
            JobArgs.declare(JobArgs.declare(new OptionParser("run"), JobArgs.JOB), JobArgs.DEMO);

    private static final CostModel DEMO =
            CostModel.of(VitConfig.preset("vit_demo").geometry());

    private static Configuration parse(String... argv) throws UsageException {
        ParsedArgs args = PARSER.parse(argv);
        Configuration conf = JobArgs.configuration(args, JobArgs.JOB);
        JobArgs.validate(conf, args);
        return conf;
    }

    private static String error(String... argv) {
        try {
            parse(argv);
        } catch (UsageException e) {
            return e.getMessage();
        }
        throw new AssertionError("no usage error");
    }

    @Test
    void flagsSetTheControllerOptions() throws Exception {
        Configuration c = parse(
                "--control",
                "adaptive",
                "--ladder",
                "none;tome:3;tome:6",
                "--latency-target",
                "500ms",
                "--target-utilization",
                "0.9",
                "--restore-utilization",
                "0.6",
                "--degrade-dwell",
                "250ms",
                "--restore-dwell",
                "10s",
                "--shed",
                "latest-per-stream",
                "--shed-deadline",
                "3s");
        assertThat(c.get(ControlOptions.POLICY)).isEqualTo(ControlOptions.Policy.ADAPTIVE);
        assertThat(c.get(ControlOptions.LADDER)).isEqualTo("none;tome:3;tome:6");
        assertThat(c.get(ControlOptions.LATENCY_TARGET)).isEqualTo(Duration.ofMillis(500));
        assertThat(c.get(ControlOptions.SHED_MODE)).isEqualTo(Shedding.Mode.LATEST_PER_STREAM);

        LevelSource source = ControlOptions.levelSource(c, DEMO);
        assertThat(source.toString())
                .isEqualTo("adaptive(none;tome:3;tome:6, latency target 500 ms, shedding LATEST_PER_STREAM)");
        assertThat(rungOfTheTopLevel(source, CompressionLevel.tome(6))).isEqualTo(2);
    }

    /** The rung the plan of a batch of one-minute-old frames, which takes the top level, reports. */
    private static int rungOfTheTopLevel(LevelSource source, CompressionLevel top) throws Exception {
        source.open(() -> 100_000L);
        BatchPlan plan = source.plan(
                new LoadSignals(100_000, 1, 60_000, 60_000, 1, 0, 1.0, null, List.of()),
                List.of(new DecodedFrame("a", 0, 40_000, new float[1])));
        assertThat(plan.level()).isEqualTo(top);
        return plan.rung();
    }

    @Test
    void theDefaultIsTheFixedLevel() throws UsageException {
        LevelSource source = ControlOptions.levelSource(parse("--level", "tome:4"), DEMO);
        assertThat(source.toString()).isEqualTo("fixed(tome:4)");
    }

    @Test
    void anUnsetLadderIsDerivedFromTheModel() throws UsageException {
        assertThat(ControlOptions.ladder(parse("--control", "adaptive"), DEMO).toString())
                .isEqualTo("none;tome:2;tome:4;tome:6");
    }

    @Test
    void theShedDeadlineFollowsTheLatencyTargetUnlessSet() throws UsageException {
        // Not set: derived per batch from the latency target (Shedding.auto), for any target.
        assertThat(ControlOptions.shedding(parse("--control", "adaptive", "--shed", "deadline")))
                .isEqualTo(Shedding.auto());
        ControllerConfig threeSeconds =
                ControlOptions.config(parse("--shed", "deadline", "--latency-target", "3s"), oneRung());
        assertThat(threeSeconds.shedding().isAuto()).isTrue();
        // 3 s target less its 300 ms delivery margin, 250 ms batches: frames older than 2450 ms
        // are skipped; 2400 ms (80 %)
        // before the rung's batch time is measured.
        assertThat(threeSeconds.shedAgeLimitMs(250)).isEqualTo(2450);
        assertThat(threeSeconds.shedAgeLimitMs(Double.NaN)).isEqualTo(2400);
        // Set: that fixed age, whatever the batch time.
        Shedding fixed =
                ControlOptions.shedding(parse("--shed", "deadline", "--latency-target", "3s", "--shed-deadline", "2s"));
        assertThat(fixed).isEqualTo(Shedding.deadline(Duration.ofSeconds(2)));
        assertThat(ControlOptions.config(
                                parse("--shed", "deadline", "--latency-target", "3s", "--shed-deadline", "2s"),
                                oneRung())
                        .shedAgeLimitMs(250))
                .isEqualTo(2000);
        // A latency target of 4 s with the old fixed 2 s deadline was a setting error.
        assertThat(ControlOptions.levelSource(
                                parse("--control", "adaptive", "--shed", "deadline", "--latency-target", "4s"), DEMO)
                        .toString())
                .contains("shedding DEADLINE");
    }

    private static Ladder oneRung() {
        return new Ladder(List.of(new Ladder.Rung(CompressionLevel.none(), 1)));
    }

    @Test
    void shedsByDeadlineByDefaultAndOffStaysAvailable() throws UsageException {
        Configuration byDefault = parse("--control", "adaptive");
        assertThat(byDefault.get(ControlOptions.SHED_MODE)).isEqualTo(Shedding.Mode.DEADLINE);
        assertThat(ControlOptions.levelSource(byDefault, DEMO).toString())
                .isEqualTo("adaptive(none;tome:2;tome:4;tome:6, latency target 1000 ms, shedding DEADLINE)");
        assertThat(ControlOptions.shedding(byDefault)).isEqualTo(Shedding.auto());
        assertThat(EffectiveConfig.describe(byDefault, StreamJobOptions.all()))
                .containsPattern("vit\\.control\\.shed-mode\\s+.*DEADLINE");

        Configuration off = parse("--control", "adaptive", "--shed", "off");
        assertThat(off.get(ControlOptions.SHED_MODE)).isEqualTo(Shedding.Mode.OFF);
        assertThat(ControlOptions.levelSource(off, DEMO).toString())
                .isEqualTo("adaptive(none;tome:2;tome:4;tome:6, latency target 1000 ms, shedding OFF)");
    }

    @Test
    void badValuesNameTheFlag() {
        assertThat(error("--ladder", "none;tome:x")).contains("--ladder").contains("tome:x");
        assertThat(error("--target-utilization", "1.5")).contains("--target-utilization");
        assertThat(error("--restore-utilization", "0.9")).contains("--restore-utilization");
        assertThat(error("--restore-dwell", "100ms")).contains("--restore-dwell");
        assertThat(error("--shed", "deadline", "--shed-deadline", "100ms")).contains("--shed-deadline");
        assertThat(error("--shed", "sometimes")).contains("--shed");
    }

    @Test
    void theLocalRunIsAdaptiveOverTheDemoModelsToMeLadder() throws Exception {
        DemoModel.Resolved model = DemoModel.resolve();
        try {
            Configuration c = parse("--model", model.dir().toString());
            double macsRatio = DEMO.gmacs(CompressionLevel.none()) / DEMO.gmacs(CompressionLevel.tome(6));
            assertThat(RunCommand.adaptiveByDefault(c))
                    .isEqualTo("ladder: none;tome:2;tome:4;tome:6 (derived from the model: none plus 3 ToMe"
                            + " steps; no ladder.json in " + model.dir() + ")\n"
                            + String.format(
                                    java.util.Locale.ROOT,
                                    "overload: absorbs at most %.2fx the frame rate level none keeps up with, by the"
                                            + " cost model alone (top rung tome:6 costs %.2f of none's MACs); a"
                                            + " model-only upper bound, not measured: decode, preprocessing and Kafka"
                                            + " cost the same at every rung, so end to end it is usually lower; measure"
                                            + " it with `ladder --model %s --images FRAMES_DIR`; beyond that: frames"
                                            + " whose age when their batch forms plus the top rung's measured batch"
                                            + " time would pass 90 %% of the latency target are skipped (vit.control.shed-mode"
                                            + " = DEADLINE, vit.control.shed-deadline not set), each answered by a"
                                            + " label record marked skipped",
                                    macsRatio,
                                    1 / macsRatio,
                                    model.dir()));
            assertThat(c.get(ControlOptions.POLICY)).isEqualTo(ControlOptions.Policy.ADAPTIVE);
            assertThat(c.get(ControlOptions.LADDER)).isEqualTo("none;tome:2;tome:4;tome:6");
            // The local demo's bundled model is unpacked into a directory deleted at the end: the
            // hint names a copy instead.
            String bundled = DemoModel.hintForACopy(
                    RunCommand.adaptiveByDefault(parse("--model", model.dir().toString())), model.dir());
            assertThat(bundled)
                    .doesNotContain("ladder --model " + model.dir())
                    .contains("measure it with `ladder --model DIR --images FRAMES_DIR`")
                    .endsWith(" (DIR: a copy of the bundled model, flink-job/src/main/resources/demo-model in the"
                            + " repository; then run --model DIR)");
            assertThat(EffectiveConfig.describe(c, StreamJobOptions.all()))
                    .contains("vit.control.policy")
                    .contains("none;tome:2;tome:4;tome:6")
                    .contains("vit.control.latency-target");

            Configuration fixed = parse("--model", model.dir().toString(), "--control", "fixed");
            assertThat(RunCommand.adaptiveByDefault(fixed))
                    .isEqualTo("ladder: not used (vit.control.policy = FIXED)\n"
                            + "overload: absorbs none: the level is fixed (vit.control.policy = FIXED), so above its"
                            + " capacity frame age grows without bound; set vit.control.policy: ADAPTIVE (--control"
                            + " adaptive)");
            assertThat(fixed.get(ControlOptions.POLICY)).isEqualTo(ControlOptions.Policy.FIXED);
            assertThat(fixed.getOptional(ControlOptions.LADDER)).isEmpty();
        } finally {
            DemoModel.delete(model.dir());
        }
    }
}
