package org.tocomstream.job.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.tocomstream.job.cli.JsonFiles;

/**
 * What {@code bench --video} measured: printed as a table and written as JSON. The record
 * component names are the JSON field names (documented in {@code bench --help}); change them only
 * together with {@link #SCHEMA_VERSION}.
 */
record VideoBenchReport(
        int schemaVersion,
        String mode,
        BenchReport.Machine machine,
        Video video,
        Model model,
        Reference reference,
        Parameters parameters,
        String timedBatches,
        List<Row> rows,
        String plot) {

    /** Version of the JSON layout. */
    static final int SCHEMA_VERSION = 1;

    /** The value of {@code mode}: the image bench's JSON has no such field. */
    static final String MODE = "video";

    /**
     * The video: frames decoded (up to the last one used), the first used ({@code start}), those
     * used ({@code streams × batches}) and where each camera starts among them.
     */
    record Video(
            String file,
            String name,
            String codec,
            int width,
            int height,
            double frameRate,
            int decodedFrames,
            int start,
            int framesUsed,
            List<Integer> streamOffsets) {}

    /** The model: where it came from, its shape, and whether its weights are random. */
    record Model(String source, String architecture, int inputSize, int patchTokens, boolean randomWeights) {}

    /**
     * The plain model's top-1 over the frames used: how many classes it takes and the most common
     * one's label and share. Agreement says little when one class covers nearly every frame.
     */
    record Reference(int distinctTop1, String mostCommonTop1, double mostCommonShare) {}

    record Parameters(
            String device,
            List<String> levels,
            int streams,
            int batches,
            int warmupBatches,
            double sceneCut,
            Integer threads,
            long seed,
            boolean sweepReuse) {}

    /**
     * One level over all T batches. Speed: {@code imagesPerSecond} = B / the median ms of batches
     * 1..T-1 (steady state), {@code imagesPerSecondAllBatches} = B·T / the sum over all batches;
     * speed-ups over {@code none}'s. Agreement: frames whose top-1 equals the plain model's on the
     * same frame, over all frames ({@code agreementReused}: over the reused frames; null if none);
     * {@code logitRelativeError}: the mean over frames of |logits - plain logits| / |plain logits|,
     * which shows drift even where the top-1 hardly changes.
     * Reuse: mean patch tokens recomputed per block and frame (a full frame counts all; null for
     * compression levels), frames computed in full and reused, and whether batch 0 was all full.
     */
    record Row(
            String level,
            double msPerBatch,
            double imagesPerSecond,
            double imagesPerSecondAllBatches,
            double speedup,
            double speedupAllBatches,
            double agreement,
            double logitRelativeError,
            Double agreementReused,
            Double meanRecomputedPatchTokens,
            double reusedFraction,
            int framesFull,
            int framesReused,
            boolean firstBatchFull,
            List<Double> samplesMs) {}

    void writeJson(Path file) throws IOException {
        JsonFiles.write(file, this);
    }

    void printTables(PrintStream out) {
        out.printf(
                Locale.ROOT,
                "%s on %s (%s, %d x %d, %s, %.3g fps): %d streams x %d batches from frame %d; %s%n",
                model.architecture(),
                video.name(),
                parameters.device(),
                video.width(),
                video.height(),
                video.codec(),
                video.frameRate(),
                parameters.streams(),
                parameters.batches(),
                video.start(),
                model.source());
        out.printf(
                Locale.ROOT,
                "%d cores (%s), libtorch %s with %d intra-op threads; %d warm-up batches per level; %s%n",
                machine.cores(),
                machine.cpuModel(),
                machine.libtorchVersion(),
                machine.libtorchThreads(),
                parameters.warmupBatches(),
                timedBatches);
        out.printf(
                Locale.ROOT,
                "reference: the plain model's top-1 takes %d classes over the frames; the most common, %s, on %.1f%%"
                        + " of them%n%n",
                reference.distinctTop1(),
                reference.mostCommonTop1(),
                100 * reference.mostCommonShare());
        out.printf(
                "%-14s %10s %10s %10s %8s %8s %9s %9s %9s %11s %8s%n",
                "level",
                "ms/batch",
                "images/s",
                "i/s all",
                "speedup",
                "sp. all",
                "agreement",
                "agr.reuse",
                "logit err",
                "recomputed",
                "reused");
        for (Row r : rows) {
            out.printf(
                    Locale.ROOT,
                    "%-14s %10.2f %10.2f %10.2f %7.2fx %7.2fx %8.2f%% %9s %9.2g %11s %7.1f%%%n",
                    r.level(),
                    r.msPerBatch(),
                    r.imagesPerSecond(),
                    r.imagesPerSecondAllBatches(),
                    r.speedup(),
                    r.speedupAllBatches(),
                    100 * r.agreement(),
                    r.agreementReused() == null ? "-" : String.format(Locale.ROOT, "%.2f%%", 100 * r.agreementReused()),
                    r.logitRelativeError(),
                    r.meanRecomputedPatchTokens() == null
                            ? "-"
                            : String.format(Locale.ROOT, "%.1f/%d", r.meanRecomputedPatchTokens(), model.patchTokens()),
                    100 * r.reusedFraction());
        }
    }
}
