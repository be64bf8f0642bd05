package org.tocomstream.compress;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * How hard one forward pass compresses its tokens: an immutable value passed with every batch,
 * never stored in the model, so two batches in flight may run at different levels.
 *
 * <p>The methods:
 *
 * <ul>
 *   <li>{@link #none()}: the plain ViT.
 *   <li>ToMe token merging ({@code src/docs/token-reduction.md}): {@link #tome(int)} merges r tokens in every
 *       block; {@link #tomeDecreasing(int)} goes linearly from 2r in the first block to 0 in the
 *       last (ToMe's {@code (r, -1)} schedule); {@link #tomeSchedule(int...)} gives r per block
 *       (missing blocks merge nothing). Requests are clamped at run time to half of the
 *       unprotected tokens.
 *   <li>EViT attentive-token keeping ({@code src/docs/token-reduction.md}): {@link #evit(double)} keeps {@code
 *       ceil(rate * (N - prefix))} tokens at blocks 4, 7 and 10 (0-based 3, 6, 9) and fuses the rest
 *       into one token; {@link #evit(double, int...)} names the blocks.
 *   <li>DiffRate ({@code src/docs/token-reduction.md}): {@link #diffRate(DiffRateSchedule)} sorts
 *       tokens by class attention, then prunes and merges to per-block counts; text {@code
 *       diffrate:P0,...,PL-1/M0,...,ML-1}, {@code diffrate:deit-s@2.9} or {@code
 *       diffrate:file=PATH} (see {@link DiffRateSchedule}).
 *   <li>GTP graph-based token propagation ({@code src/docs/token-reduction.md}): {@link
 *       #gtp(GtpParams)} propagates P tokens per block into their graph neighbours and removes them.
 *   <li>IdleViT token idling ({@link IdleSchedule}): {@link #idle(double)} runs the later blocks on
 *       the patch tokens the class token's query ranks highest and passes the others through.
 * </ul>
 *
 * <p>The text form ({@link #toString()}, {@link #parse(String)}) is used in configuration and in
 * labels: {@code none}, {@code tome:8}, {@code tome-decreasing:8}, {@code tome:8,8,4,0},
 * {@code evit:0.7}, {@code evit:0.7@3,6,9}, {@code gtp:8}, {@code gtp:8,theta=0.6} (see {@link
 * GtpParams}), {@code idle:0.7}, {@code idle:0.7@4,5,6,7,8,9,10,11},
 * {@code idle:0.7,0.5@4,8}. {@link #toString()} writes the canonical form
 * ({@code tome:8,8,4}, {@code evit:0.7}; a one-block schedule as {@code tome:8,0}), and {@code
 * parse(level.toString())} equals {@code level}.
 */
public final class CompressionLevel implements Serializable {

    private static final long serialVersionUID = 1L;

    /** The token-reduction method. */
    public enum Method {
        NONE,
        TOME,
        EVIT,
        DIFFRATE,
        GTP,
        IDLE
    }

    private enum Shape {
        CONSTANT,
        DECREASING,
        EXPLICIT
    }

    /** 0-based blocks where EViT reduces by default: the 4th, 7th and 10th. */
    private static final int[] EVIT_DEFAULT_BLOCKS = {3, 6, 9};

    private static final CompressionLevel NONE =
            new CompressionLevel(Method.NONE, Shape.CONSTANT, 0, new int[0], 1.0, new int[0]);

    private final Method method;
    private final Shape shape;
    private final int r;
    private final int[] perLayer;
    private final double keepRate;
    private final int[] blocks;
    private final DiffRateSchedule diffRate;
    private final GtpParams gtp;
    private final IdleSchedule idle;

    private CompressionLevel(Method method, Shape shape, int r, int[] perLayer, double keepRate, int[] blocks) {
        this(method, shape, r, perLayer, keepRate, blocks, null);
    }

    private CompressionLevel(
            Method method, Shape shape, int r, int[] perLayer, double keepRate, int[] blocks, GtpParams gtp) {
        this.method = method;
        this.shape = shape;
        this.r = r;
        this.perLayer = perLayer;
        this.keepRate = keepRate;
        this.blocks = blocks;
        this.diffRate = null;
        this.gtp = gtp;
        this.idle = IdleSchedule.NONE;
    }

    private CompressionLevel(DiffRateSchedule diffRate) {
        this.method = Method.DIFFRATE;
        this.shape = Shape.EXPLICIT;
        this.r = 0;
        this.perLayer = null;
        this.keepRate = 1;
        this.blocks = null;
        this.diffRate = Objects.requireNonNull(diffRate, "DiffRate schedule");
        this.gtp = null;
        this.idle = IdleSchedule.NONE;
    }

    private CompressionLevel(IdleSchedule idle) {
        this.method = Method.IDLE;
        this.shape = Shape.CONSTANT;
        this.r = 0;
        this.perLayer = null;
        this.keepRate = 1.0;
        this.blocks = null;
        this.idle = idle;
        this.diffRate = null;
        this.gtp = null;
    }

    /** No compression: the plain model. */
    public static CompressionLevel none() {
        return NONE;
    }

    /** ToMe with r tokens merged in every block; {@code tome(0)} is {@link #none()}. */
    public static CompressionLevel tome(int r) {
        requireNonNegative(r, "ToMe r");
        return r == 0 ? NONE : new CompressionLevel(Method.TOME, Shape.CONSTANT, r, null, 1, null);
    }

    /** ToMe merging 2r tokens in the first block, decreasing linearly to 0 in the last. */
    public static CompressionLevel tomeDecreasing(int r) {
        requireNonNegative(r, "ToMe r");
        return r == 0 ? NONE : new CompressionLevel(Method.TOME, Shape.DECREASING, r, null, 1, null);
    }

    /**
     * ToMe with an explicit r per block; blocks past the end of the list merge nothing, so trailing
     * zeros are dropped ({@code tome:8,8,4,0} equals {@code tome:8,8,4}).
     */
    public static CompressionLevel tomeSchedule(int... rPerBlock) {
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
        if (length == 0) {
            return NONE;
        }
        return new CompressionLevel(Method.TOME, Shape.EXPLICIT, 0, Arrays.copyOf(rPerBlock, length), 1, null);
    }

    /** EViT keeping the given fraction of tokens at blocks 3, 6 and 9 (0-based). */
    public static CompressionLevel evit(double keepRate) {
        return evit(keepRate, EVIT_DEFAULT_BLOCKS);
    }

    /** EViT keeping the given fraction of tokens at the given 0-based blocks. */
    public static CompressionLevel evit(double keepRate, int... blocks) {
        if (!(keepRate > 0 && keepRate <= 1)) {
            throw new IllegalArgumentException("EViT keep rate must be in (0, 1] but was " + keepRate);
        }
        int[] sorted = blocks.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < sorted.length; i++) {
            if (sorted[i] < 0 || (i > 0 && sorted[i] == sorted[i - 1])) {
                throw new IllegalArgumentException(
                        "EViT blocks must be distinct and >= 0 but were " + Arrays.toString(blocks));
            }
        }
        if (keepRate == 1.0 || sorted.length == 0) {
            return NONE;
        }
        return new CompressionLevel(Method.EVIT, Shape.CONSTANT, 0, null, keepRate, sorted);
    }

    /** DiffRate at the given schedule; it must fit the model it runs on ({@link DiffRateSchedule#requireFits}). */
    public static CompressionLevel diffRate(DiffRateSchedule schedule) {
        return new CompressionLevel(schedule);
    }

    /**
     * GTP graph-based token propagation ({@link GtpParams}); {@link #none()} when it propagates
     * nothing and does not sparsify the attention.
     */
    public static CompressionLevel gtp(GtpParams params) {
        Objects.requireNonNull(params, "GTP parameters");
        return params.isIdentity() ? NONE : new CompressionLevel(Method.GTP, Shape.CONSTANT, 0, null, 1, null, params);
    }

    /** The GTP parameters, or null for other methods. */
    public GtpParams gtpParams() {
        return gtp;
    }

    /** IdleViT with keep ratios ρ, ρ², ρ³ over the default blocks ({@link IdleSchedule}). */
    public static CompressionLevel idle(double rate) {
        return idle(IdleSchedule.staged(rate, null));
    }

    /** IdleViT with keep ratios ρ, ρ², ρ³ in three stages over the given 0-based blocks. */
    public static CompressionLevel idle(double rate, int... blocks) {
        return idle(IdleSchedule.staged(rate, blocks));
    }

    /** IdleViT with one keep ratio per given 0-based block. */
    public static CompressionLevel idleRatios(double[] ratios, int[] blocks) {
        return idle(IdleSchedule.perBlock(ratios, blocks));
    }

    private static CompressionLevel idle(IdleSchedule schedule) {
        return schedule.isNone() ? NONE : new CompressionLevel(schedule);
    }

    /**
     * Parses the text form (see the class comment).
     *
     * @throws IllegalArgumentException quoting the text and saying what was expected
     */
    public static CompressionLevel parse(String text) {
        Objects.requireNonNull(text, "compression level");
        String s = text.trim().toLowerCase(Locale.ROOT);
        try {
            if (s.equals("none") || s.equals("0")) {
                return NONE;
            }
            int colon = s.indexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException("missing ':'");
            }
            String head = s.substring(0, colon);
            String body = s.substring(colon + 1);
            switch (head) {
                case "tome":
                    int[] rs = parseInts(body);
                    return rs.length == 1 ? tome(rs[0]) : tomeSchedule(rs);
                case "tome-decreasing":
                    return tomeDecreasing(Integer.parseInt(body.trim()));
                case "evit":
                    int at = body.indexOf('@');
                    if (at < 0) {
                        return evit(Double.parseDouble(body.trim()));
                    }
                    return evit(Double.parseDouble(body.substring(0, at).trim()), parseInts(body.substring(at + 1)));
                case "diffrate":
                    // From the original text: a file path keeps its case.
                    return diffRate(DiffRateSchedule.parse(text.trim().substring(colon + 1)));
                case "gtp":
                    return gtp(GtpParams.parse(body));
                case "idle":
                    return idle(IdleSchedule.parse(body));
                default:
                    throw new IllegalArgumentException("unknown method '" + head + "'");
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    String.format(
                            "invalid compression level '%s' (%s); expected none, tome:R,"
                                    + " tome-decreasing:R, tome:R1,R2,..., evit:RATE,"
                                    + " evit:RATE@B1,B2,..., diffrate:P0,P1,.../M0,M1,...,"
                                    + " diffrate:deit-s@2.9, diffrate:file=PATH"
                                    + " diffrate:deit-s@2.9, diffrate:file=PATH,"
                                    + " gtp:P[,alpha=A,theta=T,graph=G,k=K,scale=on|off], idle:RATE,"
                                    + " idle:RATE@B1,B2,... or idle:R1,R2,...@B1,B2,...",
                            text, e.getMessage()),
                    e);
        }
    }

    public Method method() {
        return method;
    }

    /** True for the plain model. */
    public boolean isNone() {
        return method == Method.NONE;
    }

    /**
     * The constant ToMe degree r, if this level is {@code tome(r)} (or {@code none()}, which is
     * r = 0). Token Compensators are trained over these degrees or over {@link
     * #tomeDecreasingDegree()}'s.
     */
    public OptionalInt tomeDegree() {
        return tomeR(Shape.CONSTANT);
    }

    /**
     * The r of ToMe's decreasing schedule ({@link #tomeDecreasing(int)}); 0 for {@link #none()};
     * empty for every other level.
     */
    public OptionalInt tomeDecreasingDegree() {
        return tomeR(Shape.DECREASING);
    }

    /** r when this is ToMe of the given shape, 0 for none, else empty. */
    private OptionalInt tomeR(Shape wanted) {
        if (method == Method.NONE) {
            return OptionalInt.of(0);
        }
        return method == Method.TOME && shape == wanted ? OptionalInt.of(r) : OptionalInt.empty();
    }

    /**
     * The requested ToMe r for each of {@code depth} blocks, before the run-time clamp. All zeros
     * for other methods.
     */
    public int[] tomeSchedule(int depth) {
        int[] out = new int[depth];
        if (method != Method.TOME) {
            return out;
        }
        switch (shape) {
            case CONSTANT:
                Arrays.fill(out, r);
                break;
            case DECREASING:
                // Linear from 2r down to 0, truncated toward zero (ToMe's parse_r with inflect -1).
                double step = depth > 1 ? -2.0 * r / (depth - 1) : 0;
                for (int i = 0; i < depth; i++) {
                    out[i] = (int) (2.0 * r + step * i);
                }
                break;
            case EXPLICIT:
                System.arraycopy(perLayer, 0, out, 0, Math.min(depth, perLayer.length));
                break;
            default:
                throw new AssertionError(shape);
        }
        return out;
    }

    /** EViT keep rate (1.0 for other methods). */
    public double keepRate() {
        return method == Method.EVIT ? keepRate : 1.0;
    }

    /** Whether EViT reduces tokens after the attention of 0-based {@code block}. */
    public boolean evitReducesAt(int block) {
        return method == Method.EVIT && Arrays.binarySearch(blocks, block) >= 0;
    }

    /** 0-based EViT reduction blocks (empty for other methods). */
    public int[] evitBlocks() {
        return method == Method.EVIT ? blocks.clone() : new int[0];
    }

    /** The DiffRate schedule; null for other methods. */
    public DiffRateSchedule diffRateSchedule() {
        return diffRate;
    }

    /** The IdleViT keep ratios; for other methods a schedule in which no block idles. */
    public IdleSchedule idleSchedule() {
        return idle;
    }

    /**
     * The method name as written in labels: {@code none}, {@code tome}, {@code evit}, {@code
     * diffrate}, {@code gtp} or {@code idle}.
     */
    public String methodName() {
        return method.name().toLowerCase(Locale.ROOT);
    }

    /** The schedule as written in labels, i.e. the text after the colon of {@link #toString()}. */
    public String scheduleText() {
        String s = toString();
        int colon = s.indexOf(':');
        return colon < 0 ? "" : s.substring(colon + 1);
    }

    @Override
    public String toString() {
        switch (method) {
            case NONE:
                return "none";
            case TOME:
                switch (shape) {
                    case CONSTANT:
                        return "tome:" + r;
                    case DECREASING:
                        return "tome-decreasing:" + r;
                    default:
                        // A one-block schedule is written "tome:R,0": "tome:R" means constant R.
                        return "tome:" + join(perLayer) + (perLayer.length == 1 ? ",0" : "");
                }
            case EVIT:
                String rate = BigDecimalText.of(keepRate);
                return Arrays.equals(blocks, EVIT_DEFAULT_BLOCKS)
                        ? "evit:" + rate
                        : "evit:" + rate + "@" + join(blocks);
            case DIFFRATE:
                return "diffrate:" + diffRate.text();
            case GTP:
                return "gtp:" + gtp.text();
            case IDLE:
                return idle.toString();
            default:
                throw new AssertionError(method);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CompressionLevel && toString().equals(o.toString());
    }

    @Override
    public int hashCode() {
        return toString().hashCode();
    }

    private static int[] parseInts(String csv) {
        List<Integer> out = new ArrayList<>();
        // Limit -1 keeps trailing empty parts, so "tome:8," is an error rather than tome:8.
        for (String part : csv.split(",", -1)) {
            out.add(Integer.parseInt(part.trim()));
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private static String join(int[] values) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < values.length; i++) {
            sb.append(i == 0 ? "" : ",").append(values[i]);
        }
        return sb.toString();
    }

    private static void requireNonNegative(int value, String what) {
        if (value < 0) {
            throw new IllegalArgumentException(what + " must be >= 0 but was " + value);
        }
    }

    /** Shortest decimal text of a keep rate: 0.7 rather than 0.7000000000000001. */
    private static final class BigDecimalText {
        static String of(double v) {
            return new java.math.BigDecimal(Double.toString(v))
                    .stripTrailingZeros()
                    .toPlainString();
        }
    }
}
