package org.tocomstream.compress;

import java.io.Serializable;
import java.util.Arrays;

/**
 * Where and how hard IdleViT's token idling works ({@code src/docs/token-reduction.md}, IdleViT):
 * a keep ratio ρ_l per block, 1 for blocks that run on every token. An idle block runs on the
 * prefix tokens plus {@code K_l = max(1, floor(patches · ρ_l))} patch tokens and passes the others
 * through unchanged; no token is ever dropped, so K_l counts from the initial patches.
 *
 * <p>Three forms, each with its text (after {@code idle:}):
 *
 * <ul>
 *   <li>{@code RATE}: the default layout. For a depth L the blocks {@code L/4 .. L-1} (integer
 *       division; 3..11 for 12 blocks) idle, split in order into three stages of {@code
 *       ceil(n/3)} blocks (the last stage may be shorter) with ratios ρ, ρ², ρ³.
 *   <li>{@code RATE@B1,B2,...}: the same three stages over the listed 0-based blocks; {@code
 *       idle:0.7@4,5,6,7,8,9,10,11} gives ρ, ρ, ρ, ρ², ρ², ρ², ρ³, ρ³.
 *   <li>{@code R1,R2,...@B1,B2,...}: one ratio per listed block.
 * </ul>
 *
 * <p>Powers are plain double products ({@code ρ·ρ}, then {@code ·ρ}), and {@code patches · ρ_l}
 * is floored without an epsilon, so every implementation counts the same K_l. Blocks past the
 * model's depth are ignored. Immutable; equal schedules have equal {@link #text()}.
 */
public final class IdleSchedule implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Stages of the default and listed-block layouts. */
    private static final int STAGES = 3;

    /** No idling: every block runs on all tokens. */
    static final IdleSchedule NONE = new IdleSchedule(1.0, new int[0], null);

    private final double rate;
    /** Sorted 0-based blocks, or null for the default layout. */
    private final int[] blocks;
    /** One ratio per entry of {@link #blocks}, or null for the three stages of {@link #rate}. */
    private final double[] ratios;

    private IdleSchedule(double rate, int[] blocks, double[] ratios) {
        this.rate = rate;
        this.blocks = blocks;
        this.ratios = ratios;
    }

    /** Ratios ρ, ρ², ρ³ over the default blocks (blocks null) or over the given ones. */
    static IdleSchedule staged(double rate, int[] blocks) {
        requireRatio(rate);
        return new IdleSchedule(rate, blocks == null ? null : sortedDistinct(blocks), null);
    }

    /** One ratio per 0-based block; the two arrays pair up by position. */
    static IdleSchedule perBlock(double[] ratios, int[] blocks) {
        if (ratios.length != blocks.length) {
            throw new IllegalArgumentException(
                    String.format("%d ratios for %d blocks: give one ratio per block", ratios.length, blocks.length));
        }
        int[] sorted = sortedDistinct(blocks);
        double[] byBlock = new double[ratios.length];
        for (int i = 0; i < blocks.length; i++) {
            requireRatio(ratios[i]);
            byBlock[Arrays.binarySearch(sorted, blocks[i])] = ratios[i];
        }
        return new IdleSchedule(1.0, sorted, byBlock);
    }

    /** Parses the text after {@code idle:} (see the class comment). */
    static IdleSchedule parse(String body) {
        int at = body.indexOf('@');
        if (at < 0) {
            return staged(Double.parseDouble(body.trim()), null);
        }
        String[] rates = body.substring(0, at).split(",", -1);
        int[] blocks = LevelText.ints(body.substring(at + 1));
        if (rates.length == 1) {
            return staged(Double.parseDouble(rates[0].trim()), blocks);
        }
        double[] ratios = new double[rates.length];
        for (int i = 0; i < rates.length; i++) {
            ratios[i] = Double.parseDouble(rates[i].trim());
        }
        return perBlock(ratios, blocks);
    }

    /** True when no block idles at any depth (rate 1, all ratios 1, or no blocks listed). */
    boolean isNone() {
        double[] r = ratios != null ? ratios : new double[] {rate};
        return (blocks != null && blocks.length == 0) || Arrays.stream(r).allMatch(v -> v == 1.0);
    }

    /** The 0-based blocks that idle by default at {@code depth}: {@code depth/4 .. depth-1}. */
    public static int[] defaultBlocks(int depth) {
        int first = depth / 4;
        int[] out = new int[depth - first];
        for (int i = 0; i < out.length; i++) {
            out[i] = first + i;
        }
        return out;
    }

    /** The keep ratio ρ_l of each of {@code depth} blocks; 1 where a block runs on every token. */
    public double[] ratios(int depth) {
        double[] out = new double[depth];
        Arrays.fill(out, 1.0);
        int[] idle = blocks == null ? defaultBlocks(depth) : blocks;
        int stage = Math.max(1, (idle.length + STAGES - 1) / STAGES);
        for (int j = 0; j < idle.length; j++) {
            if (idle[j] < depth) {
                out[idle[j]] = ratios != null ? ratios[j] : power(rate, 1 + j / stage);
            }
        }
        return out;
    }

    /**
     * Patch tokens block {@code block} of a {@code depth}-block model with {@code patches} patch
     * tokens computes on: {@code max(1, floor(patches · ρ_l))}, or -1 when the block runs on every
     * token (ρ_l = 1, or the floor reaches all patches).
     */
    public int kept(int block, int depth, int patches) {
        if (block >= depth) {
            return -1;
        }
        double ratio = ratios(depth)[block];
        int k = Math.max(1, (int) Math.floor(patches * ratio));
        return k >= patches ? -1 : k;
    }

    /** The text after {@code idle:}: {@code 0.7}, {@code 0.7@4,5,6} or {@code 0.7,0.5@4,8}. */
    public String text() {
        if (ratios != null) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < ratios.length; i++) {
                sb.append(i == 0 ? "" : ",").append(LevelText.decimal(ratios[i]));
            }
            return sb + "@" + LevelText.join(blocks);
        }
        return blocks == null ? LevelText.decimal(rate) : LevelText.decimal(rate) + "@" + LevelText.join(blocks);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IdleSchedule other && text().equals(other.text());
    }

    @Override
    public int hashCode() {
        return text().hashCode();
    }

    @Override
    public String toString() {
        return "idle:" + text();
    }

    private static double power(double base, int exponent) {
        double out = base;
        for (int i = 1; i < exponent; i++) {
            out *= base;
        }
        return out;
    }

    private static void requireRatio(double ratio) {
        if (!(ratio > 0 && ratio <= 1)) {
            throw new IllegalArgumentException("IdleViT keep ratio must be in (0, 1] but was " + ratio);
        }
    }

    private static int[] sortedDistinct(int[] blocks) {
        int[] sorted = blocks.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < sorted.length; i++) {
            if (sorted[i] < 0 || (i > 0 && sorted[i] == sorted[i - 1])) {
                throw new IllegalArgumentException(
                        "IdleViT blocks must be distinct and >= 0 but were " + Arrays.toString(blocks));
            }
        }
        return sorted;
    }
}
