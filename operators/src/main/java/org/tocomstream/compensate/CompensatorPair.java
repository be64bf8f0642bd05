package org.tocomstream.compensate;

import java.util.Locale;

/**
 * The (m → n) pair a Token Compensator is applied for: m = the ToMe degree the model was trained
 * at ({@code trainedCompression} in {@code model.json}), n = the degree of the batch. The plugin
 * adds Δ(m→n) = U·diag(M(n) − M(m))·D to q and v. An immutable value passed with each forward
 * call, never stored in the model.
 *
 * <p>Text form {@code "m->n"}, as labels report it ({@link #toString()}, {@link #parse}).
 *
 * @param from m, the model's training degree, ≥ 0
 * @param to n, the inference degree, ≥ 0
 */
public record CompensatorPair(int from, int to) {

    /** @throws IllegalArgumentException if a degree is negative */
    public CompensatorPair {
        if (from < 0 || to < 0) {
            throw new IllegalArgumentException(
                    String.format("compensator degrees must be >= 0 but the pair was %d->%d", from, to));
        }
    }

    /** m = n: the delta is zero and the plain compressed model runs. */
    public boolean isIdentity() {
        return from == to;
    }

    /** The reverse pair n → m, whose delta is the negation of this one's. */
    public CompensatorPair reversed() {
        return new CompensatorPair(to, from);
    }

    /**
     * Parses {@code "m->n"}.
     *
     * @throws IllegalArgumentException quoting the text
     */
    public static CompensatorPair parse(String text) {
        String[] parts = text.trim().split("->", -1);
        try {
            if (parts.length != 2) {
                throw new NumberFormatException();
            }
            return new CompensatorPair(Integer.parseInt(parts[0].trim()), Integer.parseInt(parts[1].trim()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid compensator pair '" + text + "'; expected m->n, e.g. 0->8");
        }
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%d->%d", from, to);
    }
}
