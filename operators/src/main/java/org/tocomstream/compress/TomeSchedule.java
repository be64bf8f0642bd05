package org.tocomstream.compress;

import java.io.Serializable;
import java.util.Arrays;
import java.util.OptionalInt;

/**
 * A ToMe schedule ({@code src/docs/token-reduction.md}, ToMe): the r tokens merged in each block,
 * as requested; the run clamps each request to half of the unprotected tokens. Three shapes, with
 * their text in a {@link CompressionLevel}:
 *
 * <ul>
 *   <li>constant, {@code tome:R}: r in every block;
 *   <li>decreasing, {@code tome-decreasing:R}: linear from 2r in the first block to 0 in the last
 *       (ToMe's {@code (r, -1)} schedule);
 *   <li>explicit, {@code tome:R0,R1,...}: r per block; blocks past the list merge nothing, so
 *       trailing zeros are dropped, and a one-block list is written {@code R,0} because {@code R}
 *       alone means constant.
 * </ul>
 *
 * <p>Immutable.
 */
final class TomeSchedule implements Serializable {

    private static final long serialVersionUID = 1L;

    enum Shape {
        CONSTANT,
        DECREASING,
        EXPLICIT
    }

    private final Shape shape;
    /** r of the constant and decreasing shapes; 0 for explicit. */
    private final int r;
    /** r per block without trailing zeros; null unless explicit. */
    private final int[] perBlock;

    private TomeSchedule(Shape shape, int r, int[] perBlock) {
        this.shape = shape;
        this.r = r;
        this.perBlock = perBlock;
    }

    static TomeSchedule constant(int r) {
        return new TomeSchedule(Shape.CONSTANT, requireNonNegative(r), null);
    }

    static TomeSchedule decreasing(int r) {
        return new TomeSchedule(Shape.DECREASING, requireNonNegative(r), null);
    }

    static TomeSchedule explicit(int[] rPerBlock) {
        for (int i = 0; i < rPerBlock.length; i++) {
            if (rPerBlock[i] < 0) {
                throw new IllegalArgumentException(
                        String.format("ToMe r for block %d must be >= 0 but was %d", i, rPerBlock[i]));
            }
        }
        int length = rPerBlock.length;
        while (length > 0 && rPerBlock[length - 1] == 0) {
            length--;
        }
        return new TomeSchedule(Shape.EXPLICIT, 0, Arrays.copyOf(rPerBlock, length));
    }

    /** Parses the text after {@code tome:}: one value is constant, several are explicit. */
    static TomeSchedule parse(String body) {
        int[] rs = LevelText.ints(body);
        return rs.length == 1 ? constant(rs[0]) : explicit(rs);
    }

    /** Parses the text after {@code tome-decreasing:}. */
    static TomeSchedule parseDecreasing(String body) {
        return decreasing(Integer.parseInt(body.trim()));
    }

    /** True when no block merges anything. */
    boolean isIdentity() {
        return shape == Shape.EXPLICIT ? perBlock.length == 0 : r == 0;
    }

    /** r when the schedule has the given shape (constant or decreasing), else empty. */
    OptionalInt r(Shape wanted) {
        return shape == wanted ? OptionalInt.of(r) : OptionalInt.empty();
    }

    /** The requested r for each of {@code depth} blocks. */
    int[] perBlock(int depth) {
        int[] out = new int[depth];
        switch (shape) {
            case CONSTANT -> Arrays.fill(out, r);
            case DECREASING -> {
                // Linear from 2r down to 0, truncated toward zero (ToMe's parse_r with inflect -1).
                double step = depth > 1 ? -2.0 * r / (depth - 1) : 0;
                for (int i = 0; i < depth; i++) {
                    out[i] = (int) (2.0 * r + step * i);
                }
            }
            case EXPLICIT -> System.arraycopy(perBlock, 0, out, 0, Math.min(depth, perBlock.length));
        }
        return out;
    }

    /** The level's text: {@code tome:8}, {@code tome-decreasing:8}, {@code tome:8,8,4} or {@code tome:8,0}. */
    String levelText() {
        return switch (shape) {
            case CONSTANT -> "tome:" + r;
            case DECREASING -> "tome-decreasing:" + r;
            case EXPLICIT -> "tome:" + LevelText.join(perBlock) + (perBlock.length == 1 ? ",0" : "");
        };
    }

    private static int requireNonNegative(int r) {
        if (r < 0) {
            throw new IllegalArgumentException("ToMe r must be >= 0 but was " + r);
        }
        return r;
    }
}
