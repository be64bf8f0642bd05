package org.tocomstream.compress;

import java.math.BigDecimal;

/** The pieces every family's text form is written with: integer lists and shortest decimals. */
final class LevelText {

    private LevelText() {}

    /**
     * Parses a comma-separated list of integers. Empty parts are errors (the split keeps trailing
     * ones), so {@code tome:8,} is rejected rather than read as {@code tome:8}.
     */
    static int[] ints(String csv) {
        String[] parts = csv.split(",", -1);
        int[] out = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            out[i] = Integer.parseInt(parts[i].trim());
        }
        return out;
    }

    /** The integers comma-separated, without spaces. */
    static String join(int[] values) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < values.length; i++) {
            sb.append(i == 0 ? "" : ",").append(values[i]);
        }
        return sb.toString();
    }

    /** Shortest decimal text of a double that parses back to it: 0.7 rather than 0.70 or 7E-1. */
    static String decimal(double v) {
        return new BigDecimal(Double.toString(v)).stripTrailingZeros().toPlainString();
    }
}
