package org.tocomstream.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.Arrays;
import org.tocomstream.compress.TokenSelection;

/**
 * The forward pass of token reuse ({@code src/docs/reuse.md}) over B frames of B different
 * streams, each with its {@link ReuseState}. Per block, with k patch tokens recomputed:
 *
 * <ol>
 *   <li>{@code h = LN1(x)} for all N tokens; the first gate picks the prefix tokens and the k patch
 *       tokens whose h moved furthest (L2) from the reference the state keeps, i.e. h as it was
 *       when that token was last recomputed; their references become the current h;
 *   <li>q, k and v of the picked tokens; the keys and values of the others come from the state;
 *   <li>attention of the picked queries over all N keys and values, then the output projection;
 *       the other tokens keep their cached attention output; {@code x += attention output} (all N);
 *   <li>{@code h2 = LN2(x)}; the second gate picks the prefix and k patch tokens by how far h2
 *       moved from its reference; the MLP runs on them, the others keep their cached MLP output;
 *       {@code x += MLP output} (all N).
 * </ol>
 *
 * This is the rows mode of the attention; {@link ReuseAccumulate} is the accumulate mode (steps 2
 * and 3 differ, the gates and the MLP are shared). The residual stream x itself is dense: every block gets every token's current x. With no state
 * filled ({@code kept < 0}) the same code computes every token and fills the states: the plain
 * model's forward pass, op for op. A channel-shuffle model's block does all of this on its
 * attended channels (the state holds only those), joins the idle ones back and shuffles. Each block runs in a sub-manager closed once its output and the
 * states' new arrays exist. If anything fails, the states of the call are reset (a half-updated
 * state would mix frames).
 */
final class ReuseForward {

    /**
     * A patch token counts as moved when its block-0 gate input changed by more than this
     * fraction of its reference's norm (for scene cuts: see {@link Pass#moved}).
     */
    static final float MOVED_RELATIVE = 0.25f;

    /**
     * The outcome of one pass.
     *
     * @param logits (B, classes)
     * @param moved per frame, the fraction of patch tokens whose block-0 input moved by more than
     *     {@link #MOVED_RELATIVE} of its norm since last recomputed; all 1 for a full pass
     */
    record Pass(NDArray logits, float[] moved) {}

    private ReuseForward() {}

    /**
     * Runs {@code images} (B, C, H, W) with one state per frame, all of the same {@link ReuseSlots}.
     *
     * @param kept patch tokens recomputed per block, or -1 for a full pass that (re)fills every state
     * @param accumulate the accumulate mode ({@link ReuseAccumulate}), else the rows mode
     */
    static Pass run(VitForward forward, NDArray images, ReuseState[] states, int kept, boolean accumulate) {
        ReuseSlots slots = states[0].slots();
        if (accumulate) {
            slots.enableAccumulate();
        }
        slots.readLock().lock();
        try {
            Pass pass = blocks(forward, images, states, slots, kept, accumulate);
            for (ReuseState s : states) {
                s.frameDone(kept < 0, accumulate);
            }
            return pass;
        } catch (RuntimeException | Error e) {
            for (ReuseState s : states) {
                s.reset();
            }
            throw e;
        } finally {
            slots.readLock().unlock();
        }
    }

    private static Pass blocks(
            VitForward forward, NDArray images, ReuseState[] states, ReuseSlots slots, int kept, boolean accumulate) {
        VitConfig cfg = forward.config();
        NDManager out = images.getManager();
        long[] slotIds = new long[states.length];
        for (int i = 0; i < states.length; i++) {
            if (states[i].slots() != slots) {
                throw new IllegalArgumentException("the reuse states of one call must come from one model");
            }
            slotIds[i] = states[i].slot();
        }
        NDArray slotIdx = out.create(slotIds);
        ReuseStorage base = ReuseStorage.base(slots, slotIdx, cfg.numTokens(), cfg.numPrefixTokens());
        NDArray x = forward.embed(images);
        float[] moved = null;
        for (int l = 0; l < cfg.depth(); l++) {
            try (NDManager scope = out.newSubManager()) {
                x.attach(scope);
                ReuseStorage storage = new ReuseStorage(slots, l, base);
                VitBlock block = forward.block(l);
                // A channel-shuffle block: the gates, caches and updates are the attended channels'.
                NDArray a = block.attendedPart(x);
                if (kept < 0) {
                    a = accumulate ? ReuseAccumulate.full(block, a, storage) : full(block, a, storage);
                } else {
                    Reused r = accumulate
                            ? ReuseAccumulate.reuse(block, a, storage, kept, scope, l == 0)
                            : reuse(block, a, storage, kept, scope, l == 0);
                    a = r.x;
                    moved = r.moved == null ? moved : r.moved;
                }
                x = block.rejoin(a, x);
                x.attach(out);
            }
        }
        if (moved == null) {
            moved = new float[states.length];
            Arrays.fill(moved, 1f);
        }
        return new Pass(forward.head(x), moved);
    }

    record Reused(NDArray x, float[] moved) {}

    /** Every token computed: the plain block, its results written into the batch's slots. */
    private static NDArray full(VitBlock block, NDArray x, ReuseStorage st) {
        long d = block.width();
        NDArray h = block.norm1(x);
        NDArray qkv = block.qkv(h);
        NDArray kv = NDArrays.concat(new NDList(h, qkv.get(":, :, " + d + ":")), 2);
        NDArray attn = block.attendRows(qkv.get(":, :, 0:" + d), part(kv, 1, d), part(kv, 2, d));
        x = x.addi(attn);
        st.writeSlots(st.slots().kv(st.l()), kv);
        st.writeSlots(st.slots().attn(st.l()), attn);
        return fullMlp(block, x, st);
    }

    /** The MLP half of a full block, shared by both modes: every token, its results stored. */
    static NDArray fullMlp(VitBlock block, NDArray x, ReuseStorage st) {
        NDArray h2 = block.norm2(x);
        NDArray m = block.mlpOnNormed(h2);
        x = x.addi(m);
        st.writeSlots(st.slots().mlp(st.l()), NDArrays.concat(new NDList(h2, m), 2));
        return x;
    }

    /**
     * k patch tokens (and the prefix) recomputed per gate, the rest read from the slots; the
     * recomputed rows are written into the batch's copy and into the slots.
     */
    private static Reused reuse(VitBlock block, NDArray x, ReuseStorage st, int kept, NDManager scope, boolean first) {
        long d = block.width();
        int prefix = block.config().numPrefixTokens();
        ReuseSlots slots = st.slots();
        int l = st.l();
        NDArray kv = st.read(slots.kv(l), scope);
        NDArray attn = st.read(slots.attn(l), scope);

        NDArray h = block.norm1(x);
        NDArray ref1 = part(kv, 0, d);
        NDArray change1 = h.sub(ref1).square().sum(new int[] {2}); // (B, N) squared L2
        float[] moved = first ? movedFraction(change1, ref1, prefix) : null;
        TokenSelection sel1 = st.select(change1, kept);
        NDArray hs = sel1.gather(h);
        NDArray qkvS = block.qkv(hs); // (B, P + k, 3D)
        NDArray kvRows = NDArrays.concat(new NDList(hs, qkvS.get(":, :, " + d + ":")), 2);
        sel1.setRows(kv, kvRows);
        st.writeRows(slots.kv(l), sel1, kvRows);
        NDArray attnS = block.attendRows(qkvS.get(":, :, 0:" + d), part(kv, 1, d), part(kv, 2, d));
        sel1.setRows(attn, attnS);
        st.writeRows(slots.attn(l), sel1, attnS);
        x = x.addi(attn);

        return new Reused(mlpGate(block, x, st, kept, scope), moved);
    }

    /**
     * The MLP half of a reused block, shared by both modes: the second gate on {@code LN2(x)}, the
     * MLP on the chosen tokens, {@code x += MLP output} (all N, the others cached).
     */
    static NDArray mlpGate(VitBlock block, NDArray x, ReuseStorage st, int kept, NDManager scope) {
        long d = block.width();
        int prefix = block.config().numPrefixTokens();
        NDArray mlp = st.read(st.slots().mlp(st.l()), scope);
        NDArray h2 = block.norm2(x);
        NDArray change2 = h2.sub(part(mlp, 0, d)).square().sum(new int[] {2});
        TokenSelection sel2 = st.select(change2, kept);
        NDArray h2s = sel2.gather(h2);
        NDArray mlpRows = NDArrays.concat(new NDList(h2s, block.mlpOnNormed(h2s)), 2);
        sel2.setRows(mlp, mlpRows);
        st.writeRows(st.slots().mlp(st.l()), sel2, mlpRows);
        return x.addi(part(mlp, 1, d));
    }

    /** Per frame, the fraction of patch tokens whose squared change exceeds τ² of their reference. */
    static float[] movedFraction(NDArray change, NDArray ref, int prefix) {
        NDArray refSq = ref.square().sum(new int[] {2});
        NDArray bound = refSq.mul(MOVED_RELATIVE * MOVED_RELATIVE);
        return change.gt(bound)
                .get(":, " + prefix + ":")
                .toType(DataType.FLOAT32, false)
                .mean(new int[] {1})
                .toFloatArray();
    }

    /** Part {@code i} of width D along the last axis of (B, N, c·D). */
    static NDArray part(NDArray t, int i, long d) {
        return t.get(":, :, " + (i * d) + ":" + ((i + 1) * d));
    }
}
