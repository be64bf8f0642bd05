package org.tocomstream.compensate;

/** How a bound Token Compensator enters the forward pass ({@code src/docs/token-reduction.md}, Side branch and merged weights). */
public enum CompensatorMode {

    /**
     * q += s·Δq(h), v += s·Δv(h) computed beside the frozen projection from the block's normalised
     * input h: no weight copy; costs about {@code 4·N·D·k} MACs per block for the pair's active
     * rank k = rankPerStep·|n − m|.
     */
    SIDE_BRANCH,

    /**
     * The q and v rows of each block's fused qkv weight are replaced by {@code W + s·U·diag(M(n) −
     * M(m))·D}, computed on first use of a pair and cached for it: no per-batch overhead, one copy
     * of the qkv weights (3·D² floats per block) per cached pair.
     */
    MERGED
}
