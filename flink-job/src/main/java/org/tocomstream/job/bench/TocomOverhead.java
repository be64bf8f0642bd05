package org.tocomstream.job.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntFunction;
import org.tocomstream.compensate.BoundCompensator;
import org.tocomstream.compensate.CompensatorConfig;
import org.tocomstream.compensate.CompensatorMode;
import org.tocomstream.compensate.CompensatorPair;
import org.tocomstream.compensate.TokenCompensator;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.job.cli.Cli;
import org.tocomstream.job.cli.CommandFailedException;
import org.tocomstream.job.cli.JsonFiles;
import org.tocomstream.model.ForwardContext;
import org.tocomstream.model.VitConfig;
import org.tocomstream.model.VitModel;

/**
 * The Token Compensator's cost in {@code bench --tocom-pair}: per batch size, the plain model at
 * level tome:n against the same call with the pair's side-branch adapter and with its merged
 * weights, interleaved per round so drifts hit all three alike; medians and the overheads over
 * plain, printed as a table and written to a {@code -tocom.json} file beside the report.
 */
final class TocomOverhead {

    private final BenchSettings s;
    private final VitConfig config;
    private final IntFunction<float[]> pixels;
    private final IntFunction<long[]> shapes;
    private final PrintStream err;

    /**
     * @param pixels the input pixels of a batch size
     * @param shapes the input shape of a batch size
     */
    TocomOverhead(BenchSettings settings, IntFunction<float[]> pixels, IntFunction<long[]> shapes, PrintStream err) {
        this.s = settings;
        this.config = settings.config();
        this.pixels = pixels;
        this.shapes = shapes;
        this.err = err;
    }

    void measure(VitModel model, PrintStream out) throws CommandFailedException {
        CompensatorPair pair = s.tocomPair();
        CompressionLevel level = CompressionLevel.tome(pair.to());
        int maxDegree = Math.max(1, Math.max(pair.from(), pair.to()));
        TokenCompensator plugin;
        try {
            plugin = TokenCompensator.initial(config, "bench", new CompensatorConfig(2, maxDegree, 0.1), s.seed());
        } catch (IllegalArgumentException e) {
            throw new CommandFailedException("--tocom-pair " + pair + ": " + e.getMessage(), e);
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        out.printf(
                Locale.ROOT,
                "%nToken Compensator pair %s at %s (rank %d active of %d), medians of %d rounds:%n",
                pair,
                level,
                2 * Math.abs(pair.from() - pair.to()),
                2 * maxDegree,
                s.iterations());
        out.printf(" batch   plain ms   side ms  overhead   merged ms  overhead%n");
        try (BoundCompensator tocom = plugin.bind(model, CompensatorMode.SIDE_BRANCH)) {
            ForwardContext side =
                    ForwardContext.at(level).withAdapter(tocom.adapter(pair, CompensatorMode.SIDE_BRANCH, 0.1));
            ForwardContext merged =
                    ForwardContext.at(level).withAdapter(tocom.adapter(pair, CompensatorMode.MERGED, 0.1));
            for (int b : s.batchSizes()) {
                double[][] ms = time(model, level, side, merged, b);
                double plain = MatmulReference.median(ms[0]);
                double sideMs = MatmulReference.median(ms[1]);
                double mergedMs = MatmulReference.median(ms[2]);
                out.printf(
                        Locale.ROOT,
                        "%6d %10.2f %9.2f %+8.1f%% %11.2f %+8.1f%%%n",
                        b,
                        plain,
                        sideMs,
                        100 * (sideMs / plain - 1),
                        mergedMs,
                        100 * (mergedMs / plain - 1));
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("batch", b);
                row.put("plainMs", plain);
                row.put("sideBranchMs", sideMs);
                row.put("mergedMs", mergedMs);
                row.put("sideBranchOverhead", sideMs / plain - 1);
                row.put("mergedOverhead", mergedMs / plain - 1);
                rows.add(row);
            }
        } catch (RuntimeException e) {
            throw new CommandFailedException("timing the compensator failed: " + Cli.describe(e), e);
        }
        writeJson(pair, level, rows);
    }

    /** Per round, the milliseconds of the plain, side-branch and merged calls, after the warm-up. */
    private double[][] time(VitModel model, CompressionLevel level, ForwardContext side, ForwardContext merged, int b) {
        CompensatorPair pair = s.tocomPair();
        float[] pixels = this.pixels.apply(b);
        long[] shape = shapes.apply(b);
        for (int w = 0; w < Math.max(1, s.warmup()); w++) {
            model.logits(pixels, shape, level);
            model.logits(pixels, shape, side);
            model.logits(pixels, shape, merged);
        }
        double[][] ms = new double[3][s.iterations()];
        for (int i = 0; i < s.iterations(); i++) {
            long t0 = System.nanoTime();
            model.logits(pixels, shape, level);
            long t1 = System.nanoTime();
            model.logits(pixels, shape, side);
            long t2 = System.nanoTime();
            model.logits(pixels, shape, merged);
            long t3 = System.nanoTime();
            ms[0][i] = (t1 - t0) / 1e6;
            ms[1][i] = (t2 - t1) / 1e6;
            ms[2][i] = (t3 - t2) / 1e6;
            err.printf(Locale.ROOT, "bench: tocom %s batch %d round %d/%d%n", pair, b, i + 1, s.iterations());
        }
        return ms;
    }

    private void writeJson(CompensatorPair pair, CompressionLevel level, List<Map<String, Object>> rows)
            throws CommandFailedException {
        String name = s.json().getFileName().toString().replaceFirst("\\.json$", "") + "-tocom.json";
        Path file = s.json().resolveSibling(name);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("model", config.name());
        json.put("pair", pair.toString());
        json.put("level", level.toString());
        json.put("iterations", s.iterations());
        json.put("rows", rows);
        try {
            JsonFiles.writeWithoutNulls(file, json);
        } catch (IOException e) {
            throw new CommandFailedException("cannot write " + file + ": " + Cli.describe(e), e);
        }
        err.println("bench: wrote " + file);
    }
}
