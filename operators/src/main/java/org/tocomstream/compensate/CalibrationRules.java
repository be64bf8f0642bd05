package org.tocomstream.compensate;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tocomstream.compensate.CompensatorCalibration.PairFactor;
import org.tocomstream.compensate.CompensatorCalibration.Rule;

/**
 * The two ways {@link CompensatorCalibration} finds its factors from measurements, one method per
 * {@link Rule}; the rules themselves are described there.
 */
final class CalibrationRules {

    private CalibrationRules() {}

    /** See {@link CompensatorCalibration#of}. */
    static CompensatorCalibration sqrtKlRatio(
            String pluginBaseWeightsSha256,
            String modelWeightsSha256,
            int images,
            List<CompensatorEvaluation.Cell> model,
            List<CompensatorEvaluation.Cell> base) {
        Map<CompensatorPair, Double> baseKl = new LinkedHashMap<>();
        for (CompensatorEvaluation.Cell c : base) {
            baseKl.put(c.pair(), c.klPlain());
        }
        Map<CompensatorPair, PairFactor> pairs = new LinkedHashMap<>();
        for (CompensatorEvaluation.Cell c : model) {
            if (c.pair().isIdentity()) {
                continue;
            }
            Double kb = baseKl.get(c.pair());
            if (kb == null) {
                throw new IllegalArgumentException("no base measurement for pair " + c.pair());
            }
            pairs.put(c.pair(), new PairFactor(c.klPlain(), kb, CompensatorCalibration.factor(c.klPlain(), kb)));
        }
        if (pairs.size()
                != baseKl.keySet().stream().filter(p -> !p.isIdentity()).count()) {
            throw new IllegalArgumentException("the base was measured on pairs " + baseKl.keySet()
                    + " but the model on "
                    + model.stream().map(CompensatorEvaluation.Cell::pair).toList());
        }
        return new CompensatorCalibration(pluginBaseWeightsSha256, modelWeightsSha256, images, pairs);
    }

    /** See {@link CompensatorCalibration#lineSearch}. */
    static CompensatorCalibration klLineSearch(
            String pluginBaseWeightsSha256,
            String modelWeightsSha256,
            int images,
            Map<Double, List<CompensatorEvaluation.Cell>> byScale) {
        if (byScale.isEmpty()) {
            throw new IllegalArgumentException("the line search needs at least one scale");
        }
        List<Double> grid = byScale.keySet().stream().sorted().toList();
        for (double scale : grid) {
            if (!(scale > 0 && Double.isFinite(scale))) {
                throw new IllegalArgumentException("grid scales must be > 0 but one was " + scale);
            }
        }
        double max = grid.get(grid.size() - 1);
        List<CompensatorPair> order = byScale.get(grid.get(0)).stream()
                .map(CompensatorEvaluation.Cell::pair)
                .filter(p -> !p.isIdentity())
                .toList();
        Map<CompensatorPair, PairFactor> pairs = new LinkedHashMap<>();
        for (CompensatorPair pair : order) {
            double plain = Double.NaN;
            double best = 0;
            double bestKl = Double.POSITIVE_INFINITY;
            for (double scale : grid) {
                CompensatorEvaluation.Cell c = byScale.get(scale).stream()
                        .filter(x -> x.pair().equals(pair))
                        .findFirst()
                        .orElseThrow(() ->
                                new IllegalArgumentException("no measurement of pair " + pair + " at scale " + scale));
                plain = c.klPlain();
                if (c.klCompensated() < bestKl) {
                    bestKl = c.klCompensated();
                    best = scale;
                }
            }
            boolean helps = bestKl < plain;
            pairs.put(pair, new PairFactor(plain, Double.NaN, helps ? bestKl : plain, helps ? best / max : 0));
        }
        for (List<CompensatorEvaluation.Cell> cells : byScale.values()) {
            if (cells.stream().filter(c -> !c.pair().isIdentity()).count() != pairs.size()) {
                throw new IllegalArgumentException("the grid scales were measured on different pairs");
            }
        }
        return new CompensatorCalibration(
                Rule.KL_LINE_SEARCH, pluginBaseWeightsSha256, modelWeightsSha256, images, max, pairs);
    }
}
