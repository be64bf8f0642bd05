package org.tocomstream.compress;

import ai.djl.ndarray.NDArray;

/**
 * One IdleViT block's selection ({@code src/docs/token-reduction.md}, IdleViT): the prefix tokens
 * plus the k patch tokens with the highest scores. {@link #gather} picks the selected rows, the
 * block runs on them, and {@link #writeBack} puts them back while every idle row passes through
 * bit for bit.
 *
 * <p>Shapes: {@code scores} (B, N - P) with P prefix tokens; selected rows (B, P + k, C) in token
 * order (prefix first, then the chosen patches by ascending position). The choice is made without
 * gradients; gather and write-back are row copies, differentiable with respect to the rows.
 */
public final class IdlePlan {

    private final TokenSelection selection;

    private IdlePlan(TokenSelection selection) {
        this.selection = selection;
    }

    /**
     * Selects the prefix and the {@code kept} highest-scoring patch tokens.
     *
     * @param scores (B, N - P) the class token's pre-softmax score of each patch token
     * @param kept patch tokens to select, in [1, N - P)
     * @param prefixTokens protected tokens at the front, always selected
     */
    public static IdlePlan select(NDArray scores, int kept, int prefixTokens) {
        long candidates = scores.getShape().get(1);
        if (kept < 1 || kept >= candidates) {
            throw new IllegalArgumentException(
                    String.format("IdleViT selects 1..%d patch tokens, not %d", candidates - 1, kept));
        }
        return new IdlePlan(TokenSelection.top(scores, kept, prefixTokens));
    }

    /** Tokens a block computes on: prefix plus the selected patches. */
    public int selected() {
        return selection.selected();
    }

    /** (B, P + k) token positions of the selected tokens, prefix first, then ascending. */
    public NDArray positions() {
        return selection.positions();
    }

    /** (B, N, C) → (B, P + k, C): the selected rows. */
    public NDArray gather(NDArray t) {
        return selection.gather(t);
    }

    /**
     * {@code x} with the selected rows replaced by {@code computed}: (B, N, D) and (B, P + k, D) →
     * (B, N, D); idle rows are copied bit for bit and gradients reach both inputs.
     */
    public NDArray writeBack(NDArray x, NDArray computed) {
        return selection.writeBack(x, computed);
    }
}
