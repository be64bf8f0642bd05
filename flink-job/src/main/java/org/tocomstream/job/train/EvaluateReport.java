package org.tocomstream.job.train;

import com.google.gson.Gson;
import com.google.gson.JsonParseException;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Reader;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.tocomstream.job.cli.JsonFiles;

/**
 * What {@code evaluate} measured: printed as a table and written as JSON. The record component
 * names are the JSON field names (documented in {@code evaluate --help}); change them only
 * together with {@link #SCHEMA_VERSION}.
 */
public record EvaluateReport(
        int schemaVersion,
        String model,
        String architecture,
        String trainedCompression,
        List<String> labels,
        Data data,
        int maxMergingR,
        List<Row> rows,
        List<Matched> matched) {

    /** Version of the JSON layout. */
    static final int SCHEMA_VERSION = 1;

    /**
     * The held-out set.
     *
     * @param source {@code generator} or {@code folder}
     * @param path the folder, null for the generator
     * @param seed generator seed, null for a folder
     * @param split generator split ({@code TEST}), null for a folder
     * @param frameSize generator frame side in pixels, null for a folder
     * @param images images evaluated
     */
    record Data(String source, String path, Long seed, String split, Integer frameSize, int images) {}

    /**
     * One level.
     *
     * @param level level text ({@code none}, {@code tome:4}, {@code evit:0.7})
     * @param tomeR the constant ToMe r of the level (0 for none), null for other levels
     * @param accuracy top-1 accuracy in [0, 1]
     * @param correct images classified correctly
     * @param gmacsPerImage CostModel GMACs of one image's forward pass
     * @param relativeMacs MACs of this level over the uncompressed model's, in (0, 1]
     */
    public record Row(
            String level, Integer tomeR, double accuracy, long correct, double gmacsPerImage, double relativeMacs) {}

    /**
     * The level of one family picked for a MACs target ({@code --match-macs}).
     *
     * @param target the fraction of the uncompressed MACs asked for
     * @param family {@code tome}, {@code tome-decreasing}, {@code evit}, {@code gtp} or {@code idle}
     * @param level the level picked: the family's closest in MACs
     * @param relativeMacs its MACs over the uncompressed model's
     * @param accuracy its top-1 accuracy in [0, 1]
     */
    public record Matched(double target, String family, String level, double relativeMacs, double accuracy) {}

    /** Reads a report {@link #writeJson} wrote. */
    public static EvaluateReport read(Reader json, String source) throws IOException {
        try {
            EvaluateReport r = new Gson().fromJson(json, EvaluateReport.class);
            if (r == null || r.rows() == null || r.rows().isEmpty()) {
                throw new IOException(source + ": not an evaluate report (no rows)");
            }
            return r;
        } catch (JsonParseException e) {
            throw new IOException(source + ": not an evaluate report: " + e.getMessage(), e);
        }
    }

    void writeJson(Path file) throws IOException {
        JsonFiles.write(file, this);
    }

    void printTable(PrintStream out) {
        out.printf(
                "%s (%s, trained at %s): top-1 on %d images of %s%n",
                model,
                architecture,
                trainedCompression,
                data.images(),
                data.path() != null
                        ? data.path()
                        : String.format(
                                "the generator (seed %d, %s split, %d px frames)",
                                data.seed(), data.split(), data.frameSize()));
        out.printf("%-20s %10s %10s %10s%n", "level", "accuracy", "GMACs/img", "rel. MACs");
        for (Row r : rows) {
            out.printf(
                    Locale.ROOT,
                    "%-20s %8.2f %% %10.4f %10.3f%n",
                    r.level(),
                    100 * r.accuracy(),
                    r.gmacsPerImage(),
                    r.relativeMacs());
        }
        if (matched != null) {
            out.println();
            out.println("at matched MACs (each family's level closest to the target):");
            out.printf("%-8s %-16s %-20s %10s %10s%n", "target", "family", "level", "rel. MACs", "accuracy");
            for (Matched m : matched) {
                out.printf(
                        Locale.ROOT,
                        "%-8.2f %-16s %-20s %10.3f %8.2f %%%n",
                        m.target(),
                        m.family(),
                        m.level(),
                        m.relativeMacs(),
                        100 * m.accuracy());
            }
        }
    }
}
