package org.tocomstream.job.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.tocomstream.job.cli.JsonFiles;

/**
 * Everything {@code bench} measured: printed as tables and written as JSON. The record component
 * names are the JSON field names (documented in {@code bench --help}); change them only together
 * with {@link #SCHEMA_VERSION}.
 */
public record BenchReport(
        int schemaVersion,
        Machine machine,
        Parameters parameters,
        List<Row> rows,
        List<Matmul> matmul,
        List<Efficiency> efficiency,
        Ort ort,
        List<TorchProfile.Summary> profile,
        Rss rss) {

    /** Version of the JSON layout. */
    static final int SCHEMA_VERSION = 1;

    record Machine(
            int cores,
            String cpuModel,
            String os,
            String javaVersion,
            String javaVm,
            String djlVersion,
            String libtorchVersion,
            int libtorchThreads,
            int libtorchInteropThreads,
            boolean mallocTuned,
            Map<String, String> environment) {}

    record Parameters(
            String preset,
            String device,
            List<String> levels,
            List<Integer> batchSizes,
            int iterations,
            int warmup,
            Integer threads,
            long seed,
            String onnx,
            int matmulSize) {}

    /** One (batch size, level) cell; speedup and MACs ratio are relative to the first level. */
    record Row(
            int batchSize,
            String level,
            double msPerBatch,
            double msPerBatchMin,
            double imagesPerSecond,
            double gmacsPerImage,
            double achievedGflops,
            double speedup,
            double macsRatio,
            double minorFaultsPerBatch,
            List<Double> samplesMs) {}

    /** A timed dense product {@code [m, k] × [k, n]}; batchSize is null for the square one. */
    record Matmul(Integer batchSize, long m, long k, long n, double msMedian, double gflops) {}

    /** Level-0 GFLOP/s over the best matmul GFLOP/s (this batch's GEMM shape or the square). */
    record Efficiency(int batchSize, double level0Gflops, double bestMatmulGflops, double efficiency) {}

    record Ort(
            String file,
            String version,
            String inputName,
            int intraOpThreads,
            boolean outputFinite,
            List<OrtRow> rows) {}

    /** ORT at one batch size; ratio = our level-0 images/s over ORT's. */
    record OrtRow(
            int batchSize,
            double msPerBatch,
            double imagesPerSecond,
            double oursImagesPerSecond,
            double oursOverOrt,
            double minorFaultsPerBatch,
            List<Double> samplesMs) {}

    record Rss(int batchSize, int batches, List<RssPoint> series) {}

    /** Resident set size after {@code batch} batches (0: before the first). */
    record RssPoint(int batch, String level, long rssKiB) {}

    void writeJson(Path file) throws IOException {
        JsonFiles.write(file, this);
    }

    void printTables(PrintStream out) {
        out.printf(
                "%s on %s, %d cores, libtorch %s with %d intra-op threads; %d iterations after %d"
                        + " warm-up, medians%n%n",
                parameters.preset(),
                parameters.device(),
                machine.cores(),
                machine.libtorchVersion(),
                machine.libtorchThreads(),
                parameters.iterations(),
                parameters.warmup());
        if (!machine.environment().isEmpty()) {
            out.println("environment: " + machine.environment());
        }
        printRows(out);
        out.println();
        printMatmul(out);
        if (ort != null) {
            printOrt(out);
        }
        if (profile != null) {
            for (TorchProfile.Summary p : profile) {
                printProfile(out, p);
            }
        }
    }

    /** One line per (batch size, level) cell. */
    private void printRows(PrintStream out) {
        out.printf(
                "%6s  %-18s %10s %10s %10s %9s %8s %10s %12s%n",
                "batch",
                "level",
                "ms/batch",
                "images/s",
                "GMACs/img",
                "GFLOP/s",
                "speedup",
                "MACs ratio",
                "faults/batch");
        for (Row r : rows) {
            out.printf(
                    Locale.ROOT,
                    "%6d  %-18s %10.2f %10.2f %10.3f %9.1f %7.2fx %9.2fx %12.0f%n",
                    r.batchSize(),
                    r.level(),
                    r.msPerBatch(),
                    r.imagesPerSecond(),
                    r.gmacsPerImage(),
                    r.achievedGflops(),
                    r.speedup(),
                    r.macsRatio(),
                    r.minorFaultsPerBatch());
        }
    }

    /** The dense products and the level-0 efficiency against them. */
    private void printMatmul(PrintStream out) {
        out.println("dense matmul, same engine and process (DJL NDArray.matMul):");
        for (Matmul m : matmul) {
            out.printf(
                    Locale.ROOT,
                    "  %-14s [%d x %d] x [%d x %d]: %.2f ms, %.1f GFLOP/s%n",
                    m.batchSize() == null ? "square" : "batch " + m.batchSize() + " GEMM",
                    m.m(),
                    m.k(),
                    m.k(),
                    m.n(),
                    m.msMedian(),
                    m.gflops());
        }
        for (Efficiency e : efficiency) {
            out.printf(
                    Locale.ROOT,
                    "  level-0 efficiency at batch %d: %.1f / %.1f GFLOP/s = %.2f%n",
                    e.batchSize(),
                    e.level0Gflops(),
                    e.bestMatmulGflops(),
                    e.efficiency());
        }
    }

    /** The ONNX Runtime anchor: its time per batch beside ours at level 0. */
    private void printOrt(PrintStream out) {
        out.println();
        out.printf(
                "ONNX Runtime %s anchor (%s, %d intra-op threads, output %s):%n",
                ort.version(), ort.file(), ort.intraOpThreads(), ort.outputFinite() ? "finite" : "NOT FINITE");
        out.printf(
                "%6s %10s %10s %16s %9s %12s%n",
                "batch", "ms/batch", "images/s", "ours level-0 i/s", "ours/ORT", "faults/batch");
        for (OrtRow r : ort.rows()) {
            out.printf(
                    Locale.ROOT,
                    "%6d %10.2f %10.2f %16.2f %8.2fx %12.0f%n",
                    r.batchSize(),
                    r.msPerBatch(),
                    r.imagesPerSecond(),
                    r.oursImagesPerSecond(),
                    r.oursOverOrt(),
                    r.minorFaultsPerBatch());
        }
    }

    static void printProfile(PrintStream out, TorchProfile.Summary p) {
        out.println();
        out.printf(
                Locale.ROOT,
                "profile %s, batch %d (%d batches, profiler on): %.2f ms/batch wall, %.2f in"
                        + " libtorch ops, %.2f outside them (%.0f%%)%n",
                p.level(),
                p.batchSize(),
                p.batches(),
                p.wallMsPerBatch(),
                p.opsMsPerBatch(),
                p.outsideOpsMsPerBatch(),
                100 * p.outsideOpsMsPerBatch() / p.wallMsPerBatch());
        out.printf("  %-36s %10s %8s %8s%n", "op", "self ms", "share", "calls");
        for (TorchProfile.OpStat op : p.topOps()) {
            out.printf(
                    Locale.ROOT,
                    "  %-36s %10.3f %7.1f%% %8.1f%n",
                    op.name(),
                    op.selfMsPerBatch(),
                    100 * op.shareOfWall(),
                    op.callsPerBatch());
        }
    }
}
