package org.tocomstream.job.tocom;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.tocomstream.compensate.CompensatorCalibration;
import org.tocomstream.compensate.CompensatorEvaluation;
import org.tocomstream.compensate.TokenCompensator;
import org.tocomstream.job.cli.JsonFiles;

/**
 * What {@code tocom eval} measured. The component names are the JSON field names (documented in
 * the help); change them only together with {@link #SCHEMA_VERSION}.
 */
record TocomEvalReport(
        int schemaVersion,
        String model,
        String plugin,
        String architecture,
        String trainedCompression,
        String baseWeightsSha256,
        double scale,
        String mode,
        int images,
        List<String> levels,
        Calibration calibration,
        List<Cell> cells,
        Summary summary) {

    /** 2: {@code levels}, {@code calibration}, and per cell {@code pair} and {@code factor}. */
    static final int SCHEMA_VERSION = 2;

    /**
     * The model's calibration for the plugin, as the stream applies it: per pair the factor on s;
     * {@code off} where it is 0 (the pair runs without the plugin).
     */
    record Calibration(String file, String rule, int images, Double referenceScale, List<CalibratedPair> pairs) {}

    record CalibratedPair(int m, int n, String pair, double factor, boolean off) {}

    record Cell(
            int m,
            int n,
            String pair,
            Double factor,
            double klPlain,
            double klCompensated,
            Double accuracyAtM,
            Double accuracyPlain,
            Double accuracyCompensated) {}

    record Summary(
            int mismatchedPairs,
            double meanKlPlain,
            double meanKlCompensated,
            double klReduction,
            Double meanTop1Gain) {}

    static TocomEvalReport of(
            String model,
            String plugin,
            org.tocomstream.model.ModelSpec spec,
            TokenCompensator tocom,
            double scale,
            String mode,
            int images,
            List<CompensatorEvaluation.Cell> cells) {
        return of(model, plugin, spec, tocom, scale, mode, images, cells, null, null);
    }

    /** As above, for a model that carries {@code calibration} (in {@code calibrationFile}; null: none). */
    static TocomEvalReport of(
            String model,
            String plugin,
            org.tocomstream.model.ModelSpec spec,
            TokenCompensator tocom,
            double scale,
            String mode,
            int images,
            List<CompensatorEvaluation.Cell> cells,
            CompensatorCalibration calibration,
            Path calibrationFile) {
        List<Cell> rows = new ArrayList<>();
        int mismatched = 0;
        double klPlain = 0;
        double klComp = 0;
        double gain = 0;
        boolean labelled = true;
        for (CompensatorEvaluation.Cell c : cells) {
            labelled &= !Double.isNaN(c.accuracyPlain());
            rows.add(new Cell(
                    c.pair().from(),
                    c.pair().to(),
                    tocom.pairText(c.pair()),
                    calibration == null ? null : calibration.factor(c.pair()),
                    c.klPlain(),
                    c.klCompensated(),
                    nan(c.accuracyAtM()),
                    nan(c.accuracyPlain()),
                    nan(c.accuracyCompensated())));
            if (!c.pair().isIdentity()) {
                mismatched++;
                klPlain += c.klPlain();
                klComp += c.klCompensated();
                gain += c.accuracyCompensated() - c.accuracyPlain();
            }
        }
        Summary summary = mismatched == 0
                ? new Summary(0, 0, 0, 0, null)
                : new Summary(
                        mismatched,
                        klPlain / mismatched,
                        klComp / mismatched,
                        klPlain > 0 ? 1 - klComp / klPlain : 0,
                        labelled ? gain / mismatched : null);
        return new TocomEvalReport(
                SCHEMA_VERSION,
                model,
                plugin,
                spec.architecture().name(),
                spec.trainedCompression().toString(),
                tocom.baseWeightsSha256(),
                scale,
                mode,
                images,
                tocom.config().axis().isLevelList()
                        ? tocom.config().axis().levels().stream()
                                .map(Object::toString)
                                .toList()
                        : null,
                calibration == null ? null : calibration(calibration, calibrationFile, tocom),
                rows,
                summary);
    }

    private static Calibration calibration(CompensatorCalibration c, Path file, TokenCompensator tocom) {
        List<CalibratedPair> pairs = new ArrayList<>();
        c.pairs()
                .forEach((p, f) -> pairs.add(
                        new CalibratedPair(p.from(), p.to(), tocom.pairText(p), f.factor(), f.factor() == 0)));
        return new Calibration(
                String.valueOf(file),
                c.rule().id(),
                c.images(),
                c.referenceScale().isPresent() ? c.referenceScale().getAsDouble() : null,
                pairs);
    }

    private static Double nan(double v) {
        return Double.isNaN(v) ? null : v;
    }

    void printTable(PrintStream out) {
        out.printf(Locale.ROOT, "%s with %s (s = %s, %s): %d images%n", model, plugin, scale, mode, images);
        if (levels != null) {
            out.println("rungs: " + String.join(";", levels));
        }
        if (calibration != null) {
            printCalibration(out);
        }
        int width = Math.max(
                7, cells.stream().mapToInt(c -> c.pair().length()).max().orElse(0));
        out.printf(
                "%-" + width + "s %10s %10s %8s %8s %8s %8s%n",
                "m->n",
                "KL plain",
                "KL tocom",
                "change",
                "acc@m",
                "acc@n",
                "+tocom");
        for (Cell c : cells) {
            out.printf(
                    Locale.ROOT,
                    "%-" + width + "s %10.5f %10.5f %8s %8s %8s %8s%n",
                    c.pair(),
                    c.klPlain(),
                    c.klCompensated(),
                    c.klPlain() > 0
                            ? String.format(Locale.ROOT, "%+.1f%%", 100 * (c.klCompensated() / c.klPlain() - 1))
                            : "-",
                    pct(c.accuracyAtM()),
                    pct(c.accuracyPlain()),
                    pct(c.accuracyCompensated()));
        }
        if (summary.mismatchedPairs() > 0) {
            out.printf(
                    Locale.ROOT,
                    "mean over %d pairs with m != n: KL %.5f -> %.5f (%+.1f%%), top-1 gain %s%n",
                    summary.mismatchedPairs(),
                    summary.meanKlPlain(),
                    summary.meanKlCompensated(),
                    -100 * summary.klReduction(),
                    summary.meanTop1Gain() == null
                            ? "n/a"
                            : String.format(Locale.ROOT, "%+.2f points", 100 * summary.meanTop1Gain()));
        }
    }

    /** One line per calibrated pair: its factor on s, or that the pair runs without the plugin. */
    private void printCalibration(PrintStream out) {
        out.printf(
                Locale.ROOT,
                "calibration %s (%s, %d images%s): %d pairs, %d off%n",
                calibration.file(),
                calibration.rule(),
                calibration.images(),
                calibration.referenceScale() == null ? "" : ", reference scale " + calibration.referenceScale(),
                calibration.pairs().size(),
                calibration.pairs().stream().filter(CalibratedPair::off).count());
        for (CalibratedPair p : calibration.pairs()) {
            out.printf(
                    Locale.ROOT,
                    "  %s %s%n",
                    p.pair(),
                    p.off()
                            ? "off (factor 0: the pair runs without the plugin)"
                            : String.format(Locale.ROOT, "factor %.4f (s = %.4g)", p.factor(), scale * p.factor()));
        }
        long uncalibrated =
                cells.stream().filter(c -> c.m() != c.n() && c.factor() == null).count();
        if (uncalibrated > 0) {
            out.printf(
                    Locale.ROOT,
                    "  note: %d pairs of the grid are not in the calibration and run at s = %s without a factor;"
                            + " the stream never runs them (it applies the trained level -> n), and above the"
                            + " plugin's own s they can overcorrect%n",
                    uncalibrated,
                    scale);
        }
    }

    private static String pct(Double v) {
        return v == null ? "n/a" : String.format(Locale.ROOT, "%.2f%%", 100 * v);
    }

    void writeJson(Path file) throws IOException {
        JsonFiles.write(file, this);
    }
}
