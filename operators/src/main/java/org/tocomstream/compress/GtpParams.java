package org.tocomstream.compress;

import java.io.Serializable;
import java.util.Locale;

/**
 * The parameters of a GTP level ({@code src/docs/token-reduction.md}, GTP): graph-based token
 * propagation, P tokens per block propagated into their graph neighbours and removed.
 *
 * <p>Text form (after {@code gtp:}): {@code P} then optional {@code key=value} parts in any order,
 * {@code alpha}, {@code theta}, {@code graph} ({@code spatial}, {@code semantic}, {@code mixed}),
 * {@code k} and {@code scale} ({@code on}, {@code off}); {@code theta=off} equals {@code theta=1}.
 * {@link #text()} writes P and then only the parts that differ from the defaults, in that order:
 * {@code 8}, {@code 8,theta=0.6}, {@code 8,alpha=0.2,graph=spatial,scale=off}.
 *
 * @param props P, patch tokens propagated and removed per block (clamped at run time, see {@link
 *     TokenCounts#clampPropagation})
 * @param alpha propagation weight α, in [0, 1]
 * @param theta attention sparsification θ in (0, 1]: the share of attention probabilities kept per
 *     image and head; 1 is off
 * @param graph which adjacency the graph is built from
 * @param neighbours K of the semantic graph: the k-th largest cosine (self included) is each row's
 *     threshold, at least 2
 * @param tokenScale whether token scales are propagated too and enter the attention as {@code +log
 *     scale}
 */
public record GtpParams(int props, double alpha, double theta, Graph graph, int neighbours, boolean tokenScale)
        implements Serializable {

    /** The adjacency of the token graph. */
    public enum Graph {
        /** The 8-neighbourhood on the patch grid. */
        SPATIAL,
        /** Each token's top-K cosine neighbours. */
        SEMANTIC,
        /** Spatial OR semantic. */
        MIXED
    }

    public static final double DEFAULT_ALPHA = 0.1;
    public static final int DEFAULT_NEIGHBOURS = 8;

    public GtpParams {
        if (props < 0) {
            throw new IllegalArgumentException("GTP P must be >= 0 but was " + props);
        }
        if (!(alpha >= 0 && alpha <= 1)) {
            throw new IllegalArgumentException("GTP alpha must be in [0, 1] but was " + alpha);
        }
        if (!(theta > 0 && theta <= 1)) {
            throw new IllegalArgumentException("GTP theta must be in (0, 1] but was " + theta);
        }
        if (graph == null) {
            throw new IllegalArgumentException("GTP graph is required");
        }
        if (neighbours < 2) {
            throw new IllegalArgumentException("GTP k must be >= 2 but was " + neighbours);
        }
    }

    /** P with every default: α 0.1, θ off, mixed graph, K 8, token scale on. */
    public static GtpParams of(int props) {
        return new GtpParams(props, DEFAULT_ALPHA, 1.0, Graph.MIXED, DEFAULT_NEIGHBOURS, true);
    }

    /** Whether attention sparsification is on. */
    public boolean sparsifies() {
        return theta < 1.0;
    }

    /** Whether the level changes nothing: no propagation and no sparsification. */
    boolean isIdentity() {
        return props == 0 && !sparsifies();
    }

    /**
     * MACs GTP adds to block {@code block} beyond the ToMe-shaped cost: propagation {@code K·P·D}
     * (plus {@code K·P} for the token scales), and in block 0 the cosine similarities of the
     * semantic graph, {@code M²·D}.
     *
     * @param tokensIn tokens entering the block
     * @param tokensOut tokens leaving its reduction
     */
    long overheadMacs(TokenGeometry geometry, int block, long tokensIn, long tokensOut) {
        long d = geometry.width();
        long kept = tokensOut - geometry.prefixTokens();
        long propagated = tokensIn - tokensOut;
        long macs = kept * propagated * (d + (tokenScale ? 1 : 0));
        if (block == 0 && graph != Graph.SPATIAL) {
            long m = geometry.patches();
            macs += m * m * d;
        }
        return macs;
    }

    /** Parses the text after {@code gtp:} (see the class comment). */
    static GtpParams parse(String body) {
        String[] parts = body.split(",", -1);
        int props = Integer.parseInt(parts[0].trim());
        double alpha = DEFAULT_ALPHA;
        double theta = 1.0;
        Graph graph = Graph.MIXED;
        int k = DEFAULT_NEIGHBOURS;
        boolean scale = true;
        for (int i = 1; i < parts.length; i++) {
            String part = parts[i].trim();
            int eq = part.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException("expected key=value but was '" + part + "'");
            }
            String key = part.substring(0, eq).trim();
            String value = part.substring(eq + 1).trim();
            switch (key) {
                case "alpha" -> alpha = Double.parseDouble(value);
                case "theta" -> theta = value.equals("off") ? 1.0 : Double.parseDouble(value);
                case "graph" -> graph = Graph.valueOf(value.toUpperCase(Locale.ROOT));
                case "k" -> k = Integer.parseInt(value);
                case "scale" -> scale = onOff(value);
                default -> throw new IllegalArgumentException("unknown GTP option '" + key + "'");
            }
        }
        return new GtpParams(props, alpha, theta, graph, k, scale);
    }

    /** The canonical text after {@code gtp:} (see the class comment). */
    String text() {
        StringBuilder sb = new StringBuilder().append(props);
        if (alpha != DEFAULT_ALPHA) {
            sb.append(",alpha=").append(LevelText.decimal(alpha));
        }
        if (sparsifies()) {
            sb.append(",theta=").append(LevelText.decimal(theta));
        }
        if (graph != Graph.MIXED) {
            sb.append(",graph=").append(graph.name().toLowerCase(Locale.ROOT));
        }
        if (neighbours != DEFAULT_NEIGHBOURS) {
            sb.append(",k=").append(neighbours);
        }
        if (!tokenScale) {
            sb.append(",scale=off");
        }
        return sb.toString();
    }

    private static boolean onOff(String value) {
        return switch (value) {
            case "on" -> true;
            case "off" -> false;
            default -> throw new IllegalArgumentException("scale must be on or off but was '" + value + "'");
        };
    }
}
