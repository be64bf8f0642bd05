package org.tocomstream.compress;

import java.io.InvalidObjectException;
import java.io.ObjectInputStream;
import java.io.Serializable;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
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
 *   <li>Token reuse on video ({@code src/docs/reuse.md}): {@link #reuse(double)} recomputes, per
 *       frame of a stream, the patch tokens whose input moved most since they were last computed
 *       and takes the others from the stream's cache, its attention in the rows or the
 *       accumulate mode ({@code ReuseParams}). It needs the cache (the inference operator keeps
 *       one per camera); without one a frame is computed in full.
 *   <li>{@link #student()}: not a compression of the model but the job's smaller second model,
 *       run plain; the predictor that has one routes the batch to it.
 * </ul>
 *
 * <p>A level is its method plus one immutable parameter value of that method's family ({@code
 * TomeSchedule}, {@code EvitParams}, {@link DiffRateSchedule}, {@link GtpParams}, {@link
 * IdleSchedule}), which validates, parses and writes its own text; {@link #parse(String)} and the
 * private {@code text(method, params)} are the one table from text head to family and back.
 *
 * <p>The text form ({@link #toString()}, {@link #parse(String)}) is used in configuration and in
 * labels: {@code none}, {@code tome:8}, {@code tome-decreasing:8}, {@code tome:8,8,4,0},
 * {@code evit:0.7}, {@code evit:0.7@3,6,9}, {@code gtp:8}, {@code gtp:8,theta=0.6} (see {@link
 * GtpParams}), {@code idle:0.7}, {@code idle:0.7@4,5,6,7,8,9,10,11},
 * {@code idle:0.7,0.5@4,8}, {@code reuse:0.25}, {@code reuse:49,attn=accumulate}. {@link
 * #toString()} writes the canonical form ({@code tome:8,8,4}, {@code evit:0.7}; a one-block
 * schedule as {@code tome:8,0}; {@code reuse:0.25} for {@code reuse:0.25,attn=rows}), and {@code
 * parse(level.toString())} equals {@code level}. Levels are equal when their canonical texts are,
 * and Java serialization writes that text and parses it back.
 */
public final class CompressionLevel implements Serializable {

    private static final long serialVersionUID = 2L;

    /** The token-reduction method. */
    public enum Method {
        NONE,
        TOME,
        EVIT,
        DIFFRATE,
        GTP,
        IDLE,
        REUSE,
        STUDENT
    }

    private static final CompressionLevel NONE = new CompressionLevel(Method.NONE, null);
    private static final CompressionLevel STUDENT = new CompressionLevel(Method.STUDENT, null);

    private final Method method;
    /** The family's parameters, of the class {@link #text} pairs with {@link #method}; null for none. */
    private final Serializable params;
    /** The canonical text, which is also the value's identity. */
    private final String text;

    private CompressionLevel(Method method, Serializable params) {
        this.method = method;
        this.params = params;
        this.text = text(method, params);
    }

    private static CompressionLevel of(Method method, Serializable params, boolean identity) {
        return identity ? NONE : new CompressionLevel(method, params);
    }

    /** No compression: the plain model. */
    public static CompressionLevel none() {
        return NONE;
    }

    /** The student: the job's second, smaller model for the same labels, run uncompressed ({@code src/docs/student.md}). */
    public static CompressionLevel student() {
        return STUDENT;
    }

    /** ToMe with r tokens merged in every block; {@code tome(0)} is {@link #none()}. */
    public static CompressionLevel tome(int r) {
        return tome(TomeSchedule.constant(r));
    }

    /** ToMe merging 2r tokens in the first block, decreasing linearly to 0 in the last. */
    public static CompressionLevel tomeDecreasing(int r) {
        return tome(TomeSchedule.decreasing(r));
    }

    /**
     * ToMe with an explicit r per block; blocks past the end of the list merge nothing, so trailing
     * zeros are dropped ({@code tome:8,8,4,0} equals {@code tome:8,8,4}).
     */
    public static CompressionLevel tomeSchedule(int... rPerBlock) {
        return tome(TomeSchedule.explicit(rPerBlock));
    }

    private static CompressionLevel tome(TomeSchedule schedule) {
        return of(Method.TOME, schedule, schedule.isIdentity());
    }

    /** EViT keeping the given fraction of tokens at blocks 3, 6 and 9 (0-based). */
    public static CompressionLevel evit(double keepRate) {
        return evit(keepRate, EvitParams.DEFAULT_BLOCKS);
    }

    /** EViT keeping the given fraction of tokens at the given 0-based blocks. */
    public static CompressionLevel evit(double keepRate, int... blocks) {
        return evit(EvitParams.of(keepRate, blocks));
    }

    private static CompressionLevel evit(EvitParams params) {
        return of(Method.EVIT, params, params.isIdentity());
    }

    /** DiffRate at the given schedule; it must fit the model it runs on ({@link DiffRateSchedule#requireFits}). */
    public static CompressionLevel diffRate(DiffRateSchedule schedule) {
        return of(Method.DIFFRATE, Objects.requireNonNull(schedule, "DiffRate schedule"), false);
    }

    /**
     * GTP graph-based token propagation ({@link GtpParams}); {@link #none()} when it propagates
     * nothing and does not sparsify the attention.
     */
    public static CompressionLevel gtp(GtpParams params) {
        Objects.requireNonNull(params, "GTP parameters");
        return of(Method.GTP, params, params.isIdentity());
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
        return of(Method.IDLE, schedule, schedule.isNone());
    }

    /** Token reuse ({@code ReuseParams}), rows mode: per block and frame the given fraction of patches. */
    public static CompressionLevel reuse(double fraction) {
        return of(Method.REUSE, ReuseParams.fraction(fraction), false);
    }

    /** Token reuse, rows mode, recomputing {@code patchTokens} patch tokens per block and frame. */
    public static CompressionLevel reuseCount(int patchTokens) {
        return of(Method.REUSE, ReuseParams.count(patchTokens), false);
    }

    /**
     * Parses the text form (see the class comment): the head before the colon picks the family,
     * which parses the rest.
     *
     * @throws IllegalArgumentException quoting the text and saying what was expected
     */
    public static CompressionLevel parse(String text) {
        Objects.requireNonNull(text, "compression level");
        String s = text.trim().toLowerCase(Locale.ROOT);
        try {
            if (s.equals("none") || s.equals("0") || s.equals("student")) {
                return s.equals("student") ? STUDENT : NONE;
            }
            int colon = s.indexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException("missing ':'");
            }
            String head = s.substring(0, colon);
            String body = s.substring(colon + 1);
            return switch (head) {
                case "tome" -> tome(TomeSchedule.parse(body));
                case "tome-decreasing" -> tome(TomeSchedule.parseDecreasing(body));
                case "evit" -> evit(EvitParams.parse(body));
                // From the original text: a file path keeps its case.
                case "diffrate" -> diffRate(DiffRateSchedule.parse(text.trim().substring(colon + 1)));
                case "gtp" -> gtp(GtpParams.parse(body));
                case "idle" -> idle(IdleSchedule.parse(body));
                case "reuse" -> of(Method.REUSE, ReuseParams.parse(body), false);
                default -> throw new IllegalArgumentException("unknown method '" + head + "'");
            };
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    String.format(
                            "invalid compression level '%s' (%s); expected none, tome:R,"
                                    + " tome-decreasing:R, tome:R1,R2,..., evit:RATE,"
                                    + " evit:RATE@B1,B2,..., diffrate:P0,P1,.../M0,M1,...,"
                                    + " diffrate:deit-s@2.9, diffrate:file=PATH,"
                                    + " gtp:P[,alpha=A,theta=T,graph=G,k=K,scale=on|off], idle:RATE,"
                                    + " idle:RATE@B1,B2,..., idle:R1,R2,...@B1,B2,...,"
                                    + " reuse:FRACTION|COUNT[,attn=rows|accumulate], student",
                            text, e.getMessage()),
                    e);
        }
    }

    /** The canonical text of a method and its family's parameters: the inverse of {@link #parse}. */
    private static String text(Method method, Serializable params) {
        return switch (method) {
            case NONE -> "none";
            case TOME -> ((TomeSchedule) params).levelText();
            case EVIT -> "evit:" + ((EvitParams) params).text();
            case DIFFRATE -> "diffrate:" + ((DiffRateSchedule) params).text();
            case GTP -> "gtp:" + ((GtpParams) params).text();
            case IDLE -> "idle:" + ((IdleSchedule) params).text();
            case REUSE -> "reuse:" + ((ReuseParams) params).text();
            case STUDENT -> "student";
        };
    }

    public Method method() {
        return method;
    }

    /** True for the plain model. */
    public boolean isNone() {
        return method == Method.NONE;
    }

    /** The constant ToMe degree r of {@code tome(r)} (0 for none, else empty): a compensator's degrees. */
    public OptionalInt tomeDegree() {
        return tomeR(TomeSchedule.Shape.CONSTANT);
    }

    /** The r of ToMe's decreasing schedule ({@link #tomeDecreasing(int)}); 0 for none, else empty. */
    public OptionalInt tomeDecreasingDegree() {
        return tomeR(TomeSchedule.Shape.DECREASING);
    }

    /** r when this is ToMe of the given shape, 0 for none, else empty. */
    private OptionalInt tomeR(TomeSchedule.Shape wanted) {
        if (method == Method.NONE) {
            return OptionalInt.of(0);
        }
        return params instanceof TomeSchedule tome ? tome.r(wanted) : OptionalInt.empty();
    }

    /** The requested ToMe r for each of {@code depth} blocks, before the run-time clamp; zeros for other methods. */
    public int[] tomeSchedule(int depth) {
        return params instanceof TomeSchedule tome ? tome.perBlock(depth) : new int[depth];
    }

    /** EViT keep rate (1.0 for other methods). */
    public double keepRate() {
        return params instanceof EvitParams evit ? evit.keepRate() : 1.0;
    }

    /** Whether EViT reduces tokens after the attention of 0-based {@code block}. */
    public boolean evitReducesAt(int block) {
        return params instanceof EvitParams evit && evit.reducesAt(block);
    }

    /** 0-based EViT reduction blocks (empty for other methods). */
    public int[] evitBlocks() {
        return params instanceof EvitParams evit ? evit.blocks() : new int[0];
    }

    /** The DiffRate schedule; null for other methods. */
    public DiffRateSchedule diffRateSchedule() {
        return params instanceof DiffRateSchedule schedule ? schedule : null;
    }

    /**
     * Why this level cannot run on a model of {@code geometry}, or empty when it can. ToMe, EViT,
     * GTP and IdleViT fit every model (their requests are clamped to the tokens there are, and
     * blocks past the model's depth are ignored); a DiffRate schedule holds absolute counts for
     * one token count and depth ({@link DiffRateSchedule#misfit}).
     *
     * @param model how the reason names the model, e.g. {@code the model vit_demo}
     * @return a reason to follow the level's text, e.g. {@code needs 197 tokens and 12 blocks; the
     *     model vit_demo has 65 tokens and 12 blocks (...)}
     */
    public Optional<String> misfit(TokenGeometry geometry, String model) {
        Objects.requireNonNull(geometry, "geometry");
        return params instanceof DiffRateSchedule schedule ? schedule.misfit(geometry, model) : Optional.empty();
    }

    /** Whether this level can run on a model of {@code geometry} (see {@link #misfit}). */
    public boolean fits(TokenGeometry geometry) {
        return misfit(geometry, "the model").isEmpty();
    }

    /**
     * Fails unless this level {@link #fits} a model of {@code geometry}.
     *
     * @throws IllegalArgumentException naming the level and why, e.g. {@code compression level
     *     diffrate:deit-s@2.9 needs 197 tokens and 12 blocks; the model has 65 tokens and 12 blocks (...)}
     */
    public void requireFits(TokenGeometry geometry) {
        misfit(geometry, "the model").ifPresent(why -> {
            throw new IllegalArgumentException("compression level " + text + " " + why);
        });
    }

    /** The GTP parameters, or null for other methods. */
    public GtpParams gtpParams() {
        return params instanceof GtpParams gtp ? gtp : null;
    }

    /** Patch tokens a reuse level recomputes per block and frame of a model of {@code patches}; else -1. */
    public int reuseRecomputed(int patches) {
        return params instanceof ReuseParams reuse ? reuse.recomputed(patches) : -1;
    }

    /** Whether a reuse level runs its attention in the accumulate mode ({@code ReuseParams}). */
    public boolean reuseAccumulates() {
        return params instanceof ReuseParams reuse && reuse.accumulate();
    }

    /** Whether this is a token-reuse level (it needs a stream's cache to save work). */
    public boolean isReuse() {
        return method == Method.REUSE;
    }

    /** Whether this level runs the student model instead of the model ({@link #student()}). */
    public boolean isStudent() {
        return method == Method.STUDENT;
    }

    /** The IdleViT keep ratios; for other methods a schedule in which no block idles. */
    public IdleSchedule idleSchedule() {
        return params instanceof IdleSchedule idle ? idle : IdleSchedule.NONE;
    }

    /**
     * The method name as written in labels: {@code none}, {@code tome}, {@code evit}, {@code
     * diffrate}, {@code gtp}, {@code idle}, {@code reuse} or {@code student}.
     */
    public String methodName() {
        return method.name().toLowerCase(Locale.ROOT);
    }

    /** The schedule as written in labels, i.e. the text after the colon of {@link #toString()}. */
    public String scheduleText() {
        int colon = text.indexOf(':');
        return colon < 0 ? "" : text.substring(colon + 1);
    }

    @Override
    public String toString() {
        return text;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CompressionLevel other && text.equals(other.text);
    }

    @Override
    public int hashCode() {
        return text.hashCode();
    }

    /** Serialized as its canonical text ({@code TextForm}), so the stream form is the text form. */
    private Object writeReplace() {
        return new TextForm(text);
    }

    private void readObject(ObjectInputStream in) throws InvalidObjectException {
        throw new InvalidObjectException("a CompressionLevel is serialized as its text form");
    }

    /** The serialized form: the canonical text, parsed back on reading. */
    private record TextForm(String text) implements Serializable {
        private Object readResolve() {
            return parse(text);
        }
    }
}
