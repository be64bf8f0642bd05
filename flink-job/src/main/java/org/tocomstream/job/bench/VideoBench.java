package org.tocomstream.job.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.job.bench.VideoRounds.Measured;
import org.tocomstream.job.cli.Cli;
import org.tocomstream.job.cli.CommandFailedException;
import org.tocomstream.job.cli.DeviceOption;
import org.tocomstream.job.cli.UsageException;
import org.tocomstream.job.run.DemoModel;
import org.tocomstream.model.VitConfig;
import org.tocomstream.model.VitInit;
import org.tocomstream.model.VitModel;

/**
 * One execution of {@code bench --video}: the video's frames as B cameras ({@link VideoCameras}),
 * every level over the same batches ({@link VideoRounds}, interleaved), the plain model's top-1 per
 * frame as the reference of each level's agreement; then the report, its JSON and its plot.
 */
final class VideoBench {

    private final VideoBenchSettings s;
    private final Device device;
    private final Engine engine;
    private final PrintStream err;

    VideoBench(VideoBenchSettings settings, Device device, Engine engine, PrintStream err) {
        this.s = settings;
        this.device = device;
        this.engine = engine;
        this.err = err;
    }

    /** The model and what to say about it. */
    private record Loaded(VitModel model, String source, boolean randomWeights, Path tempDir) {}

    /** Measures, prints the table on {@code out}, writes the JSON and the plot; returns the exit status. */
    int execute(PrintStream out) throws UsageException, CommandFailedException {
        Loaded loaded = load();
        try (VitModel model = loaded.model()) {
            VitConfig cfg = model.config();
            for (CompressionLevel level : s.levels()) {
                Optional<String> why = level.misfit(cfg.geometry(), "the model " + cfg.name());
                if (why.isPresent()) {
                    throw UsageException.of("bench", "--levels", level + " " + why.get());
                }
            }
            VideoCameras cams;
            try {
                cams = VideoCameras.decode(s.video(), s.start(), s.maxFrames(), s.streams(), model.spec());
            } catch (IOException e) {
                throw new CommandFailedException("--video: " + e.getMessage(), e);
            }
            err.printf(
                    "bench: %s, %d levels on %s: %d streams x %d batches, libtorch %d threads%n",
                    loaded.source(),
                    s.levels().size(),
                    cams.info().name(),
                    cams.streams(),
                    cams.batches(),
                    JniUtils.getNumThreads());
            VideoBenchReport report = report(model, loaded, cams);
            report.printTables(out);
            try {
                report.writeJson(s.json());
                if (report.plot() != null) {
                    ReusePlot.write(report, Path.of(report.plot()));
                }
            } catch (IOException e) {
                throw new CommandFailedException("cannot write " + s.json() + ": " + Cli.describe(e), e);
            }
            err.println("bench: wrote " + s.json() + (report.plot() == null ? "" : " and " + report.plot()));
            return Cli.OK;
        } finally {
            if (loaded.tempDir() != null) {
                DemoModel.delete(loaded.tempDir());
            }
        }
    }

    private VideoBenchReport report(VitModel model, Loaded loaded, VideoCameras cams) {
        BenchReport.Machine machine = BenchRun.machine(engine);
        VitConfig cfg = model.config();
        List<Measured> measured = VideoRounds.measure(model, cams, s.levels(), s.warmup(), s.sceneCut(), err);
        Measured reference = measured.get(0);
        List<VideoBenchReport.Row> rows = new ArrayList<>();
        VideoBenchReport.Row none = row(CompressionLevel.none(), reference, reference, null, cams, cfg);
        rows.add(none);
        boolean anyReuse = false;
        for (int i = 1; i < s.levels().size(); i++) {
            CompressionLevel level = s.levels().get(i);
            rows.add(row(level, measured.get(i), reference, none, cams, cfg));
            anyReuse |= level.isReuse();
        }
        VideoCameras.Info v = cams.info();
        return new VideoBenchReport(
                VideoBenchReport.SCHEMA_VERSION,
                VideoBenchReport.MODE,
                machine,
                new VideoBenchReport.Video(
                        v.file(),
                        v.name(),
                        v.codec(),
                        v.width(),
                        v.height(),
                        v.frameRate(),
                        v.decodedFrames(),
                        s.start(),
                        cams.frames(),
                        cams.offsets()),
                new VideoBenchReport.Model(
                        loaded.source(), cfg.name(), cfg.imageSize(), cfg.numPatches(), loaded.randomWeights()),
                reference(reference.top1(), model.spec().labels()),
                new VideoBenchReport.Parameters(
                        DeviceOption.name(device),
                        s.levels().stream().map(CompressionLevel::toString).toList(),
                        cams.streams(),
                        cams.batches(),
                        Math.min(s.warmup(), cams.batches()),
                        s.sceneCut(),
                        s.threads(),
                        s.seed(),
                        s.sweep()),
                String.format(
                        Locale.ROOT,
                        "images/s = %d / median ms of batches 1..%d (batch 0, a reuse level's full computation,"
                                + " left out for every level); all batches: %d frames / total time",
                        cams.streams(),
                        cams.batches() - 1,
                        cams.frames()),
                rows,
                anyReuse ? s.plot().toString() : null);
    }

    private static VideoBenchReport.Reference reference(int[] top1, List<String> labels) {
        int[] counts = new int[labels.size()];
        for (int c : top1) {
            counts[c]++;
        }
        int best = 0;
        int distinct = 0;
        for (int c = 0; c < counts.length; c++) {
            distinct += counts[c] > 0 ? 1 : 0;
            best = counts[c] > counts[best] ? c : best;
        }
        return new VideoBenchReport.Reference(distinct, labels.get(best), (double) counts[best] / top1.length);
    }

    private static VideoBenchReport.Row row(
            CompressionLevel level,
            Measured m,
            Measured reference,
            VideoBenchReport.Row none,
            VideoCameras cams,
            VitConfig cfg) {
        int b = cams.streams();
        int frames = cams.frames();
        double median = MatmulReference.median(Arrays.copyOfRange(m.ms(), 1, m.ms().length));
        double ips = b / (median / 1e3);
        double ipsAll = frames / (Arrays.stream(m.ms()).sum() / 1e3);
        int agree = 0;
        int reused = 0;
        int agreeReused = 0;
        long recomputed = 0;
        double error = 0;
        for (int f = 0; f < frames; f++) {
            error += relativeError(m.logits()[f], reference.logits()[f]);
            boolean same = m.top1()[f] == reference.top1()[f];
            agree += same ? 1 : 0;
            if (m.reused()[f]) {
                reused++;
                agreeReused += same ? 1 : 0;
            }
            recomputed += m.recomputed()[f];
        }
        boolean firstFull = true;
        for (int j = 0; j < b; j++) {
            firstFull &= !m.reused()[j];
        }
        boolean counts = level.isNone() || level.isReuse();
        return new VideoBenchReport.Row(
                level.toString(),
                median,
                ips,
                ipsAll,
                none == null ? 1.0 : ips / none.imagesPerSecond(),
                none == null ? 1.0 : ipsAll / none.imagesPerSecondAllBatches(),
                (double) agree / frames,
                error / frames,
                reused == 0 ? null : (double) agreeReused / reused,
                counts ? (double) recomputed / frames : null,
                (double) reused / frames,
                frames - reused,
                reused,
                firstFull,
                Arrays.stream(m.ms()).boxed().toList());
    }

    private Loaded load() throws CommandFailedException {
        try {
            if (s.model() != null) {
                return new Loaded(VitModel.load(s.model(), device), "model " + s.model(), false, null);
            }
            if (s.preset() != null) {
                VitConfig cfg = VitConfig.preset(s.preset());
                VitModel model = VitModel.fromWeights(cfg, VitInit.truncatedNormal(cfg, s.seed()), device);
                return new Loaded(model, cfg.name() + " with random weights (seed " + s.seed() + ")", true, null);
            }
            DemoModel.Resolved demo = DemoModel.resolve();
            try {
                return new Loaded(
                        VitModel.load(demo.dir(), device), demo.description(), demo.randomWeights(), demo.dir());
            } catch (IOException | RuntimeException e) {
                DemoModel.delete(demo.dir());
                throw e;
            }
        } catch (IOException e) {
            throw new CommandFailedException("cannot load the model: " + Cli.describe(e), e);
        }
    }

    /** {@code |a - ref| / |ref|} (Euclidean norms); 0 when both are 0. */
    static double relativeError(float[] a, float[] ref) {
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < a.length; i++) {
            double d = a[i] - ref[i];
            diff += d * d;
            norm += (double) ref[i] * ref[i];
        }
        return norm == 0 ? Math.sqrt(diff) : Math.sqrt(diff / norm);
    }
}
