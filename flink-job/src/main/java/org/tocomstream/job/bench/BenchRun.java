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
import java.util.Random;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.compress.CostModel;
import org.tocomstream.job.cli.Cli;
import org.tocomstream.job.cli.CommandFailedException;
import org.tocomstream.job.cli.DeviceOption;
import org.tocomstream.model.NativeAllocator;
import org.tocomstream.model.VitConfig;
import org.tocomstream.model.VitInit;
import org.tocomstream.model.VitModel;

/**
 * One execution of {@code bench}: builds the random model, times the levels interleaved per batch
 * size (ORT afterwards, in its own phase), then the matmul reference, the optional memory check and
 * profiles, and returns the report.
 */
public final class BenchRun {

    private static final int PROFILE_BATCHES = 3;
    private static final int PROFILE_TOP_OPS = 12;

    private final BenchSettings s;
    private final VitConfig config;
    private final List<CompressionLevel> levels;
    private final Device device;
    private final Engine engine;
    private final PrintStream err;
    private final CostModel cost;

    BenchRun(BenchSettings settings, Device device, Engine engine, PrintStream err) {
        this.s = settings;
        this.config = settings.config();
        this.levels = settings.levels();
        this.device = device;
        this.engine = engine;
        this.err = err;
        this.cost = CostModel.of(config.geometry());
    }

    /** Measures, prints the tables on {@code out}, writes the JSON; returns the exit status. */
    int execute(PrintStream out) throws CommandFailedException {
        int ortThreads = s.threads() != null ? s.threads() : JniUtils.getNumThreads();
        err.printf(
                "bench: %s, %d levels x %d batch sizes, libtorch %d threads%n",
                config.name(), levels.size(), s.batchSizes().size(), JniUtils.getNumThreads());
        try (VitModel model = VitModel.fromWeights(config, VitInit.truncatedNormal(config, s.seed()), device);
                OrtAnchor ort = s.onnx() == null ? null : OrtAnchor.open(s.onnx(), ortThreads)) {
            if (ort != null) {
                ort.checkInput(config, s.batchSizes());
            }
            // After the model: loading it applies the allocator tuning (or not).
            BenchReport.Machine machine = machine(engine);
            Timings t = time(model, ort);
            int n = s.matmulSize();
            MatmulReference.Result square = MatmulReference.measure(device, n, n, n, 1, Math.min(s.iterations(), 5));
            t.matmuls.add(new BenchReport.Matmul(null, n, n, n, square.medianMs(), square.gflops()));
            List<BenchReport.Efficiency> efficiency = new ArrayList<>();
            for (BenchReport.Efficiency e : t.efficiency) {
                double best = Math.max(e.bestMatmulGflops(), square.gflops());
                efficiency.add(
                        new BenchReport.Efficiency(e.batchSize(), e.level0Gflops(), best, e.level0Gflops() / best));
            }
            BenchReport.Rss rss = s.rssBatches() > 0 ? rss(model) : null;
            List<TorchProfile.Summary> profiles = s.profile() ? profile(model) : null;
            BenchReport.Ort ortReport = ort == null
                    ? null
                    : new BenchReport.Ort(
                            ort.file().toString(),
                            ort.version(),
                            ort.inputName(),
                            ort.threads(),
                            t.ortFinite,
                            t.ortRows);
            BenchReport report = new BenchReport(
                    BenchReport.SCHEMA_VERSION,
                    machine,
                    parameters(),
                    t.rows,
                    t.matmuls,
                    efficiency,
                    ortReport,
                    profiles,
                    rss);
            report.printTables(out);
            if (s.tocomPair() != null) {
                new TocomOverhead(s, this::randomPixels, this::shape, err).measure(model, out);
            }
            try {
                report.writeJson(s.json());
            } catch (IOException e) {
                throw new CommandFailedException("cannot write " + s.json() + ": " + Cli.describe(e), e);
            }
            err.println("bench: wrote " + s.json());
            if (!t.ortFinite) {
                err.println("bench: ONNX Runtime's output was not finite: check the exported model");
                return Cli.FAILED;
            }
            return Cli.OK;
        }
    }

    /** What the timed rounds produced. */
    private static final class Timings {
        final List<BenchReport.Row> rows = new ArrayList<>();
        final List<BenchReport.Matmul> matmuls = new ArrayList<>();
        final List<BenchReport.Efficiency> efficiency = new ArrayList<>();
        final List<BenchReport.OrtRow> ortRows = new ArrayList<>();
        boolean ortFinite = true;
    }

    private Timings time(VitModel model, OrtAnchor ort) throws CommandFailedException {
        Timings t = new Timings();
        int iterations = s.iterations();
        long started = System.nanoTime();
        double doneWork = 0;
        double totalWork = s.batchSizes().stream().mapToDouble(b -> b).sum() * iterations;
        for (int b : s.batchSizes()) {
            float[] pixels = randomPixels(b);
            long[] shape = shape(b);
            // The model's own biggest GEMM shape (the MLP's, at the blocks' width), timed beside the levels.
            MatmulReference.Sampler gemm = new MatmulReference.Sampler(
                    device, (long) b * config.numTokens(), config.attendedDim(), config.mlpHiddenDim());
            double[] gemmMs = new double[iterations];
            for (int w = 0; w < s.warmup(); w++) {
                for (CompressionLevel level : levels) {
                    checkFinite(model.logits(pixels, shape, level), level);
                }
                gemm.timeOnce();
            }
            double[][] ms = new double[levels.size()][iterations];
            double[][] faults = new double[levels.size()][iterations];
            for (int i = 0; i < iterations; i++) {
                for (int j = 0; j < levels.size(); j++) {
                    long f0 = ProcessStats.minorFaults();
                    long t0 = System.nanoTime();
                    model.logits(pixels, shape, levels.get(j));
                    ms[j][i] = (System.nanoTime() - t0) / 1e6;
                    faults[j][i] = faultsSince(f0);
                }
                gemmMs[i] = gemm.timeOnce();
                // The ETA assumes time grows linearly with the batch size.
                doneWork += b;
                double elapsed = (System.nanoTime() - started) / 1e9;
                err.printf(
                        Locale.ROOT,
                        "bench: batch %d round %d/%d, elapsed %.0f s, ETA %.0f s%n",
                        b,
                        i + 1,
                        iterations,
                        elapsed,
                        elapsed / doneWork * (totalWork - doneWork));
            }
            double ours0Ips = addRows(t, b, ms, faults, gemm, gemmMs);
            if (ort != null) {
                timeOrt(t, ort, pixels, shape, b, ours0Ips);
            }
        }
        return t;
    }

    /**
     * Adds the rows of batch size {@code b} from its timed rounds, then its GEMM and its efficiency;
     * returns the images per second at level none (NaN without it), ONNX Runtime's yardstick.
     */
    private double addRows(
            Timings t, int b, double[][] ms, double[][] faults, MatmulReference.Sampler gemm, double[] gemmMs) {
        double firstIps = Double.NaN;
        double level0Gflops = Double.NaN;
        double ours0Ips = Double.NaN;
        long firstMacs = cost.macs(levels.get(0));
        for (int j = 0; j < levels.size(); j++) {
            CompressionLevel level = levels.get(j);
            double median = MatmulReference.median(ms[j]);
            double ips = b / (median / 1e3);
            long macs = cost.macs(level);
            double gflops = 2.0 * macs * b / (median * 1e6);
            if (j == 0) {
                firstIps = ips;
            }
            if (level.isNone()) {
                level0Gflops = gflops;
                ours0Ips = ips;
            }
            t.rows.add(new BenchReport.Row(
                    b,
                    level.toString(),
                    median,
                    Arrays.stream(ms[j]).min().orElse(0),
                    ips,
                    macs / 1e9,
                    gflops,
                    ips / firstIps,
                    (double) firstMacs / macs,
                    MatmulReference.median(faults[j]),
                    boxed(ms[j])));
        }
        double gemmMedian = MatmulReference.median(gemmMs);
        double gemmGflops = gemm.gflops(gemmMedian);
        t.matmuls.add(new BenchReport.Matmul(b, gemm.m, gemm.k, gemm.n, gemmMedian, gemmGflops));
        gemm.close();
        if (!Double.isNaN(level0Gflops)) {
            // Completed with the square matmul once that is measured.
            t.efficiency.add(new BenchReport.Efficiency(b, level0Gflops, gemmGflops, 0));
        }
        return ours0Ips;
    }

    /**
     * ONNX Runtime on batch size {@code b}. ORT runs in its own phase, after our rounds:
     * interleaved, its arena and thread pool changed libtorch's allocation pattern (4,700 vs 1,900
     * page faults per DeiT-S batch of 8 at level 0) and slowed our level 0 by ~20 %.
     */
    private void timeOrt(Timings t, OrtAnchor ort, float[] pixels, long[] shape, int b, double ours0Ips)
            throws CommandFailedException {
        int iterations = s.iterations();
        double[] ortMs = new double[iterations];
        double[] ortFaults = new double[iterations];
        for (int w = 0; w < s.warmup(); w++) {
            float[] y = ort.run(pixels, shape);
            ort.checkOutput(config, y, b);
            t.ortFinite &= allFinite(y);
        }
        for (int i = 0; i < iterations; i++) {
            long f0 = ProcessStats.minorFaults();
            long t0 = System.nanoTime();
            float[] y = ort.run(pixels, shape);
            ortMs[i] = (System.nanoTime() - t0) / 1e6;
            ortFaults[i] = faultsSince(f0);
            if (i == 0) {
                t.ortFinite &= allFinite(y);
            }
        }
        double median = MatmulReference.median(ortMs);
        double ips = b / (median / 1e3);
        t.ortRows.add(new BenchReport.OrtRow(
                b, median, ips, ours0Ips, ours0Ips / ips, MatmulReference.median(ortFaults), boxed(ortMs)));
    }

    private BenchReport.Rss rss(VitModel model) {
        int b = s.batchSizes().get(0);
        int batches = s.rssBatches();
        float[] pixels = randomPixels(b);
        long[] shape = shape(b);
        int every = Math.max(1, batches / 10);
        List<BenchReport.RssPoint> series = new ArrayList<>();
        series.add(new BenchReport.RssPoint(0, "", ProcessStats.rssKiB()));
        for (int i = 1; i <= batches; i++) {
            CompressionLevel level = levels.get((i - 1) % levels.size());
            model.logits(pixels, shape, level);
            if (i % every == 0 || i == batches) {
                long kib = ProcessStats.rssKiB();
                series.add(new BenchReport.RssPoint(i, level.toString(), kib));
                err.printf(
                        Locale.ROOT, "bench: VmRSS after %d/%d batches of %d: %.1f MiB%n", i, batches, b, kib / 1024.0);
            }
        }
        return new BenchReport.Rss(b, batches, series);
    }

    private List<TorchProfile.Summary> profile(VitModel model) throws CommandFailedException {
        int b = s.profileBatch();
        float[] pixels = randomPixels(b);
        long[] shape = shape(b);
        List<TorchProfile.Summary> out = new ArrayList<>();
        Path dir = s.json().toAbsolutePath().getParent();
        for (CompressionLevel level : levels) {
            model.logits(pixels, shape, level);
            String tag = level.toString().replaceAll("[^A-Za-z0-9.]+", "_");
            Path trace = dir.resolve("profile-b" + b + "-" + tag + ".json");
            try {
                out.add(TorchProfile.capture(
                        trace,
                        level.toString(),
                        b,
                        PROFILE_BATCHES,
                        PROFILE_TOP_OPS,
                        () -> model.logits(pixels, shape, level)));
            } catch (IOException e) {
                throw new CommandFailedException("cannot read the profile " + trace + ": " + Cli.describe(e), e);
            }
            err.println("bench: profiled " + level + " into " + trace);
        }
        return out;
    }

    private BenchReport.Parameters parameters() {
        return new BenchReport.Parameters(
                config.name(),
                DeviceOption.name(device),
                levels.stream().map(CompressionLevel::toString).toList(),
                s.batchSizes(),
                s.iterations(),
                s.warmup(),
                s.threads(),
                s.seed(),
                s.onnx() == null ? null : s.onnx().toString(),
                s.matmulSize());
    }

    /** The machine and engine the timings ran on (after a model load: it applies the allocator tuning). */
    static BenchReport.Machine machine(Engine engine) {
        return new BenchReport.Machine(
                Runtime.getRuntime().availableProcessors(),
                ProcessStats.cpuModel(),
                System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                        + System.getProperty("os.arch"),
                System.getProperty("java.version"),
                System.getProperty("java.vm.name") + " " + System.getProperty("java.vm.version"),
                Engine.getDjlVersion(),
                engine.getVersion(),
                JniUtils.getNumThreads(),
                JniUtils.getNumInteropThreads(),
                NativeAllocator.tuneOnce(),
                ProcessStats.performanceEnvironment());
    }

    /** Standard normal values, the same for a given seed and batch size. */
    private float[] randomPixels(int b) {
        Random rnd = new Random(s.seed() * 31 + b);
        float[] x =
                new float[Math.toIntExact((long) b * config.inChannels() * config.imageSize() * config.imageSize())];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        return x;
    }

    private long[] shape(int b) {
        return new long[] {b, config.inChannels(), config.imageSize(), config.imageSize()};
    }

    private static void checkFinite(float[][] logits, CompressionLevel level) throws CommandFailedException {
        for (float[] row : logits) {
            if (!allFinite(row)) {
                throw new CommandFailedException("the model's logits at level " + level + " are not finite");
            }
        }
    }

    private static double faultsSince(long before) {
        return before < 0 ? -1 : ProcessStats.minorFaults() - before;
    }

    private static boolean allFinite(float[] values) {
        for (float v : values) {
            if (!Float.isFinite(v)) {
                return false;
            }
        }
        return true;
    }

    private static List<Double> boxed(double[] values) {
        return Arrays.stream(values).boxed().toList();
    }
}
