package org.tocomstream.compress;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * A DiffRate schedule ({@code src/docs/token-reduction.md}, DiffRate): for every block, how many
 * tokens are kept after pruning ({@code P_l}) and after merging ({@code M_l}), prefix tokens
 * included. Absolute counts of the architecture the schedule was made for: block 0 never reduces,
 * so its two entries record that architecture's token count N0, and a schedule runs only on a
 * model with that N0 and that depth ({@link #requireFits}). Counts are not fractions because a
 * learned schedule belongs to one architecture; a DeiT schedule says nothing about a 65-token model.
 *
 * <p>Text forms (after {@code diffrate:} in a {@link CompressionLevel}):
 *
 * <ul>
 *   <li>{@code P0,P1,...,PL-1/M0,M1,...,ML-1}: inline counts;
 *   <li>{@code deit-s@2.9}: a published DeiT-S or DeiT-B schedule ({@code deit-s@2.3 … 3.1},
 *       {@code deit-b@8.7, 10.0, 10.4, 11.5, 12.5}), 197 tokens and 12 blocks only;
 *   <li>{@code file=PATH}: a schedule file ({@link DiffRateScheduleFile}); the level then holds
 *       the counts and writes itself inline, so its text does not depend on the file any more.
 * </ul>
 */
public final class DiffRateSchedule implements Serializable {

    private static final long serialVersionUID = 1L;

    private final String name;
    private final int[] pruneKept;
    private final int[] mergeKept;

    private DiffRateSchedule(String name, int[] pruneKept, int[] mergeKept) {
        this.name = name;
        this.pruneKept = pruneKept;
        this.mergeKept = mergeKept;
    }

    /**
     * A schedule from counts per block.
     *
     * @param pruneKept tokens kept after pruning in each block, prefix included; entry 0 is N0
     * @param mergeKept tokens kept after merging in each block, prefix included; entry 0 is N0
     * @throws IllegalArgumentException if the lists differ in length, are empty, hold a count below
     *     2, their block-0 entries differ, or a count exceeds the block-0 entry
     */
    public static DiffRateSchedule of(int[] pruneKept, int[] mergeKept) {
        return new DiffRateSchedule(null, validated(pruneKept, mergeKept), mergeKept.clone());
    }

    /** A published schedule by name, e.g. {@code deit-s@2.9}. */
    public static DiffRateSchedule published(String name) {
        String canonical = DiffRatePublished.canonicalName(name.trim().toLowerCase(java.util.Locale.ROOT));
        if (canonical == null) {
            throw new IllegalArgumentException("unknown published DiffRate schedule '" + name + "'; known: "
                    + String.join(", ", DiffRatePublished.names()));
        }
        int[][] s = DiffRatePublished.schedule(canonical);
        return new DiffRateSchedule(canonical, s[0], s[1]);
    }

    /** The schedule of a schedule file ({@link DiffRateScheduleFile}). */
    public static DiffRateSchedule read(Path file) throws IOException {
        return DiffRateScheduleFile.read(file);
    }

    /** Parses the text after {@code diffrate:} (see the class comment). */
    static DiffRateSchedule parse(String body) {
        String s = body.trim();
        if (s.startsWith("file=")) {
            Path file = Paths.get(s.substring("file=".length()).trim());
            try {
                return read(file);
            } catch (IOException e) {
                throw new IllegalArgumentException(
                        "cannot read DiffRate schedule file " + file + ": " + e.getMessage(), e);
            }
        }
        int slash = s.indexOf('/');
        if (slash < 0) {
            return published(s);
        }
        return of(LevelText.ints(s.substring(0, slash)), LevelText.ints(s.substring(slash + 1)));
    }

    /** The text after {@code diffrate:}: the published name, else the inline counts. */
    String text() {
        return name != null ? name : LevelText.join(pruneKept) + "/" + LevelText.join(mergeKept);
    }

    /** The published name ({@code deit-s@2.9}), or null for inline or file schedules. */
    public String publishedName() {
        return name;
    }

    /** Blocks the schedule covers. */
    public int depth() {
        return pruneKept.length;
    }

    /** The token count N0 the schedule was made for (its block-0 entries). */
    public int tokens() {
        return pruneKept[0];
    }

    /** Tokens kept after pruning in 0-based {@code block}, prefix included. */
    public int pruneKept(int block) {
        return pruneKept[block];
    }

    /** Tokens kept after merging in 0-based {@code block}, prefix included. */
    public int mergeKept(int block) {
        return mergeKept[block];
    }

    /** Copies of both lists: {prune kept, merge kept}. */
    public int[][] counts() {
        return new int[][] {pruneKept.clone(), mergeKept.clone()};
    }

    /**
     * Fails unless the schedule fits {@code geometry}: the same depth, the same N0, and every count
     * above the prefix tokens (a merge needs one destination besides them).
     */
    public void requireFits(TokenGeometry geometry) {
        if (!sizeFits(geometry)) {
            throw new IllegalArgumentException(String.format(
                    "DiffRate schedule %s was made for %d tokens and %d blocks, but the model has %d tokens and %d"
                            + " blocks; published schedules fit DeiT-S/DeiT-B at 224 px only, other models need"
                            + " their own schedule (inline or file=)",
                    text(), tokens(), depth(), geometry.tokens(), geometry.depth()));
        }
        int least = leastCount();
        if (least <= geometry.prefixTokens()) {
            throw new IllegalArgumentException(String.format(
                    "DiffRate schedule %s keeps %d tokens somewhere, but the model has %d prefix tokens;"
                            + " every count must exceed them",
                    text(), least, geometry.prefixTokens()));
        }
    }

    /**
     * Why the schedule does not fit {@code geometry} ({@link #requireFits}), in a few words that
     * follow the level's text, or empty when it fits: {@code needs 197 tokens and 12 blocks; the
     * model vit_demo has 65 tokens and 12 blocks}.
     *
     * @param model how the reason names the model, e.g. {@code the model vit_demo}
     */
    public Optional<String> misfit(TokenGeometry geometry, String model) {
        if (!sizeFits(geometry)) {
            return Optional.of(String.format(
                    "needs %d tokens and %d blocks; %s has %d tokens and %d blocks (a DiffRate schedule"
                            + " fits one token count and depth: give this model its own, inline or file=)",
                    tokens(), depth(), model, geometry.tokens(), geometry.depth()));
        }
        int least = leastCount();
        if (least <= geometry.prefixTokens()) {
            return Optional.of(String.format(
                    "keeps %d tokens in some block; %s has %d prefix tokens, and every count must exceed them",
                    least, model, geometry.prefixTokens()));
        }
        return Optional.empty();
    }

    private boolean sizeFits(TokenGeometry geometry) {
        return geometry.depth() == depth() && geometry.tokens() == tokens();
    }

    private int leastCount() {
        return Math.min(
                Arrays.stream(pruneKept).min().getAsInt(),
                Arrays.stream(mergeKept).min().getAsInt());
    }

    /**
     * Tokens leaving each block: {@code N_l = min(N_{l-1}, P_l, M_l)}, with block 0 never reducing.
     *
     * @throws IllegalArgumentException if the schedule does not {@link #requireFits fit}
     */
    public int[] tokensAfterEachBlock(TokenGeometry geometry) {
        requireFits(geometry);
        int[] out = new int[depth()];
        int n = geometry.tokens();
        for (int l = 0; l < out.length; l++) {
            if (l > 0) {
                n = Math.min(n, Math.min(pruneKept[l], mergeKept[l]));
            }
            out[l] = n;
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DiffRateSchedule && text().equals(((DiffRateSchedule) o).text());
    }

    @Override
    public int hashCode() {
        return text().hashCode();
    }

    @Override
    public String toString() {
        return text();
    }

    private static int[] validated(int[] pruneKept, int[] mergeKept) {
        Objects.requireNonNull(pruneKept, "prune counts");
        Objects.requireNonNull(mergeKept, "merge counts");
        if (pruneKept.length == 0 || pruneKept.length != mergeKept.length) {
            throw new IllegalArgumentException(String.format(
                    "DiffRate needs one prune and one merge count per block, but got %d and %d",
                    pruneKept.length, mergeKept.length));
        }
        if (pruneKept[0] != mergeKept[0]) {
            throw new IllegalArgumentException(String.format(
                    "DiffRate block 0 never reduces: its prune and merge counts are the model's token count"
                            + " and must be equal, but were %d and %d",
                    pruneKept[0], mergeKept[0]));
        }
        for (int l = 0; l < pruneKept.length; l++) {
            for (int c : new int[] {pruneKept[l], mergeKept[l]}) {
                if (c < 2 || c > pruneKept[0]) {
                    throw new IllegalArgumentException(String.format(
                            "DiffRate count %d in block %d must be in [2, %d] (block 0's count, the model's tokens)",
                            c, l, pruneKept[0]));
                }
            }
        }
        return pruneKept.clone();
    }
}
