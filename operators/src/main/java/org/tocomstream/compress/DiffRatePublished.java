package org.tocomstream.compress;

import java.math.BigDecimal;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * DiffRate's published schedules for DeiT-S and DeiT-B at 224 px (197 tokens, 12 blocks), as
 * reference data ({@code src/docs/token-reduction.md}, DiffRate): per target in GMACs, the tokens
 * kept after pruning and after merging in each block, class token included. Named {@code
 * deit-s@2.9}, {@code deit-b@11.5} and so on.
 */
final class DiffRatePublished {

    /** Name → {prune kept, merge kept}, in table order. */
    private static final Map<String, int[][]> SCHEDULES = new LinkedHashMap<>();

    static {
        add("deit-b@8.7", "197,192,172,156,131,107,90,72,56,33,17,3", "197,178,162,141,115,96,78,60,47,21,13,3");
        add("deit-b@10.0", "197,194,182,168,148,129,113,101,82,49,25,3", "197,186,174,156,137,117,105,90,66,31,19,3");
        add("deit-b@10.4", "197,196,188,174,156,141,121,103,90,58,25,3", "197,190,184,164,145,131,107,94,74,31,21,3");
        add("deit-b@11.5", "197,197,197,188,170,154,139,123,107,72,43,3", "197,197,192,178,158,145,127,111,94,50,35,3");
        add(
                "deit-b@12.5",
                "197,197,196,192,184,170,154,139,129,94,58,3",
                "197,196,194,190,176,160,145,131,115,68,47,3");
        add("deit-s@2.3", "197,192,168,143,121,105,92,74,62,45,33,3", "197,180,156,127,109,98,80,66,52,37,31,3");
        add("deit-s@2.5", "197,192,174,156,131,115,111,99,76,50,39,3", "197,186,160,133,119,107,96,82,66,43,37,3");
        add("deit-s@2.7", "197,196,182,160,141,127,115,105,88,66,49,3", "197,188,170,147,131,119,109,96,76,54,45,3");
        add("deit-s@2.9", "197,196,190,168,150,139,129,117,99,78,58,3", "197,194,176,156,141,133,121,107,88,64,56,3");
        add("deit-s@3.1", "197,197,194,180,160,147,137,129,115,92,76,3", "197,196,186,164,150,141,133,121,103,78,68,3");
    }

    private DiffRatePublished() {}

    /** The names, {@code deit-b@8.7} … {@code deit-s@3.1}. */
    static Iterable<String> names() {
        return Collections.unmodifiableSet(SCHEDULES.keySet());
    }

    /**
     * The canonical name of {@code text} ({@code deit-s@2.90} → {@code deit-s@2.9}, {@code
     * deit-b@10} → {@code deit-b@10.0}), or null if it names no published schedule.
     */
    static String canonicalName(String text) {
        int at = text.indexOf('@');
        if (at < 0) {
            return null;
        }
        String target;
        try {
            target = new BigDecimal(text.substring(at + 1).trim()).setScale(1).toPlainString();
        } catch (ArithmeticException | NumberFormatException e) {
            return null;
        }
        String name = text.substring(0, at).trim() + "@" + target;
        return SCHEDULES.containsKey(name) ? name : null;
    }

    /** {prune kept, merge kept} of a canonical name (copies). */
    static int[][] schedule(String canonicalName) {
        int[][] s = SCHEDULES.get(canonicalName);
        return new int[][] {s[0].clone(), s[1].clone()};
    }

    /**
     * MACs as DiffRate's published figures count them: {@link CostModel#macs} plus the patch
     * embedding applied to the prefix tokens as well (N0 tokens rather than the patches), one
     * {@code D·C·P²} per prefix token: 0.3 M MACs for DeiT-S, 0.6 M for DeiT-B. {@link CostModel}
     * itself counts the patches only, for every method alike.
     */
    static long macsAsPublished(CostModel cost, CompressionLevel level) {
        TokenGeometry g = cost.geometry();
        return cost.macs(level) + (long) g.prefixTokens() * g.width() * g.patchValues();
    }

    private static void add(String name, String prune, String merge) {
        SCHEDULES.put(name, new int[][] {ints(prune), ints(merge)});
    }

    private static int[] ints(String csv) {
        String[] parts = csv.split(",");
        int[] out = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            out[i] = Integer.parseInt(parts[i]);
        }
        return out;
    }
}
