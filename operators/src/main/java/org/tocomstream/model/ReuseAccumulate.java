package org.tocomstream.model;

import static org.tocomstream.model.ReuseForward.part;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.tocomstream.compress.TokenSelection;
import org.tocomstream.model.ReuseSlots.Acc;

/**
 * The accumulate mode of token reuse's attention ({@code src/docs/reuse.md}; level text {@code
 * reuse:F,attn=accumulate}), the alternative to {@link ReuseForward}'s rows mode. Per block, with
 * S the prefix and the k patch tokens the first gate picks (as in the rows mode: LN1 change since
 * last recomputed), q, k and v rows of S recomputed, and per stream:
 *
 * <ol>
 *   <li>a logits buffer {@code L = (q/√d)·kᵀ} (H, N, N) over the buffered queries and keys,
 *       rewritten in the rows of S (new queries) and the columns of S (new keys), so it is exact
 *       for the buffers; {@code A = softmax(L)} over all of it, every frame;
 *   <li>a running sum {@code AV = Σ_j pA[:, :, j]·pV[j]} (H, N, d) over the columns {@code pA} of A
 *       and the values {@code pV} as the sum last took them; for j in S (delta gates forced to
 *       S): {@code AV += aN·vΔ + aΔ·vOld} with {@code aN = A[:, :, S]}, {@code aΔ = aN − pA[:, :,
 *       S]}, {@code vΔ = v[S] − vOld}, then {@code pA[:, :, S] = aN} (columns of A outside S stay
 *       stale: the approximation; pV is the value buffer of the rows mode's {@code kv});
 *   <li>a third gate on the merged heads {@code o} (N, D) against its reference (o when last
 *       projected): the prefix and the k patch tokens that moved most are projected, the others
 *       keep their cached projection; {@code x += projection} (all N);
 *   <li>the MLP half as in the rows mode ({@link ReuseForward#mlpGate}).
 * </ol>
 *
 * L and pA are stored transposed (key-major: {@code logitsT[h, j, i] = L[h, i, j]}), so the
 * columns of A that the sum reads and writes are rows of the storage. A full pass (no state, or
 * scene cut) is the plain block, op for op, and fills every buffer.
 */
final class ReuseAccumulate {

    private ReuseAccumulate() {}

    /** Every token computed: the plain block; every buffer of both modes written. */
    static NDArray full(VitBlock block, NDArray x, ReuseStorage st) {
        long d = block.width();
        ReuseSlots slots = st.slots();
        int l = st.l();
        NDArray h = block.norm1(x);
        NDArray qkv = block.qkv(h);
        NDArray q = qkv.get(":, :, 0:" + d);
        NDArray kv = NDArrays.concat(new NDList(h, qkv.get(":, :, " + d + ":")), 2);
        NDArray logits = block.heads(q, true).matMul(transposed(block.heads(part(kv, 1, d), false)));
        NDArray weights = logits.softmax(-1);
        NDArray av = weights.matMul(block.heads(part(kv, 2, d), false));
        NDArray o = merged(av);
        NDArray attn = block.outProject(o);
        x = x.addi(attn);
        st.writeSlots(slots.kv(l), kv);
        st.writeSlots(slots.acc(Acc.Q, l), q);
        st.writeSlots(slots.acc(Acc.LOGITS_T, l), transposed(logits));
        st.writeSlots(slots.acc(Acc.WEIGHTS_T, l), transposed(weights));
        st.writeSlots(slots.acc(Acc.AV, l), av);
        st.writeSlots(slots.acc(Acc.PROJ_REF, l), o);
        st.writeSlots(slots.attn(l), attn);
        return ReuseForward.fullMlp(block, x, st);
    }

    /** k patch tokens (and the prefix) recomputed per gate, the rest from the buffers. */
    static ReuseForward.Reused reuse(
            VitBlock block, NDArray x, ReuseStorage st, int kept, NDManager scope, boolean first) {
        long d = block.width();
        int prefix = block.config().numPrefixTokens();
        ReuseSlots slots = st.slots();
        int l = st.l();
        NDArray kv = st.read(slots.kv(l), scope);
        NDArray q = st.read(slots.acc(Acc.Q, l), scope);

        NDArray h = block.norm1(x);
        NDArray ref1 = part(kv, 0, d);
        NDArray change1 = h.sub(ref1).square().sum(new int[] {2}); // (B, N) squared L2
        float[] moved = first ? ReuseForward.movedFraction(change1, ref1, prefix) : null;
        TokenSelection sel = st.select(change1, kept);
        NDArray vOld = sel.gather(part(kv, 2, d)); // a copy, taken before the rows change
        NDArray hs = sel.gather(h);
        NDArray qkvS = block.qkv(hs); // (B, P + k, 3D)
        NDArray qS = qkvS.get(":, :, 0:" + d);
        NDArray kvRows = NDArrays.concat(new NDList(hs, qkvS.get(":, :, " + d + ":")), 2);
        sel.setRows(kv, kvRows);
        st.writeRows(slots.kv(l), sel, kvRows);
        sel.setRows(q, qS);
        st.writeRows(slots.acc(Acc.Q, l), sel, qS);

        NDArray weightsT = weightsT(block, st, sel, q, part(kv, 1, d), qS, part(kvRows, 1, d), scope);
        NDArray av = accumulate(block, st, sel, weightsT, vOld, part(kvRows, 2, d), scope);
        x = x.addi(projGate(block, st, kept, merged(av), scope));
        return new ReuseForward.Reused(ReuseForward.mlpGate(block, x, st, kept, scope), moved);
    }

    /**
     * Updates the logits buffer in the rows of the new keys and the columns of the new queries
     * (both stored transposed), writes it back and returns its softmax over the keys, {@code Aᵀ}
     * (B, H, N, N).
     */
    private static NDArray weightsT(
            VitBlock block,
            ReuseStorage st,
            TokenSelection sel,
            NDArray q,
            NDArray k,
            NDArray qS,
            NDArray kS,
            NDManager scope) {
        NDArray stored = st.slots().acc(Acc.LOGITS_T, st.l());
        NDArray lt = st.read(stored, scope);
        long batch = lt.getShape().get(0);
        long heads = lt.getShape().get(1);
        NDArray keyRows = block.heads(kS, false).matMul(transposed(block.heads(q, true))); // (B, H, S, N)
        ReuseStorage.setHeadRows(lt, st.headRows(local(scope, batch), heads, sel), keyRows);
        NDArray queryCols = block.heads(k, false).matMul(transposed(block.heads(qS, true))); // (B, H, N, S)
        NDArray cols = sel.positions().reshape(batch, 1, 1, -1).broadcast(queryCols.getShape());
        lt = lt.scatter(cols, queryCols, 3);
        st.writeSlots(stored, lt);
        return lt.softmax(2);
    }

    /**
     * The A·V sum's update by the columns S of A and the values of S, the stored columns replaced;
     * returns the new sum (B, H, N, d), also written back.
     */
    private static NDArray accumulate(
            VitBlock block,
            ReuseStorage st,
            TokenSelection sel,
            NDArray weightsT,
            NDArray vOld,
            NDArray vNew,
            NDManager scope) {
        NDArray storedT = st.slots().acc(Acc.WEIGHTS_T, st.l());
        long batch = weightsT.getShape().get(0);
        long heads = weightsT.getShape().get(1);
        NDArray aNewT = ReuseStorage.gatherHeadRows(weightsT, st.headRows(local(scope, batch), heads, sel));
        NDArray slotRows = st.headRows(st.slotIdx(), heads, sel);
        NDArray aOldT = ReuseStorage.gatherHeadRows(storedT, slotRows);
        ReuseStorage.setHeadRows(storedT, slotRows, aNewT);
        NDArray vo = block.heads(vOld, false);
        NDArray vDelta = block.heads(vNew, false).sub(vo);
        NDArray avStored = st.slots().acc(Acc.AV, st.l());
        NDArray av = st.read(avStored, scope);
        // AV += aN·vΔ + aΔ·vOld  (= AV − pA_old[S]·pV_old[S] + aN·vNew)
        av = av.addi(transposed(aNewT).matMul(vDelta))
                .addi(transposed(aNewT.sub(aOldT)).matMul(vo));
        st.writeSlots(avStored, av);
        return av;
    }

    /** The third gate: projects the chosen merged-head rows; returns the projection buffer (B, N, D). */
    private static NDArray projGate(VitBlock block, ReuseStorage st, int kept, NDArray o, NDManager scope) {
        int prefix = block.config().numPrefixTokens();
        ReuseSlots slots = st.slots();
        int l = st.l();
        NDArray ref = st.read(slots.acc(Acc.PROJ_REF, l), scope);
        NDArray attn = st.read(slots.attn(l), scope);
        NDArray change = o.sub(ref).square().sum(new int[] {2});
        TokenSelection sel = st.select(change, kept);
        NDArray os = sel.gather(o);
        st.writeRows(slots.acc(Acc.PROJ_REF, l), sel, os);
        NDArray proj = block.outProject(os);
        sel.setRows(attn, proj);
        st.writeRows(slots.attn(l), sel, proj);
        return attn;
    }

    /** (B, H, N, d) → (B, N, D). */
    private static NDArray merged(NDArray av) {
        long[] s = av.getShape().getShape();
        return av.transpose(0, 2, 1, 3).reshape(s[0], s[2], s[1] * s[3]);
    }

    /** The last two axes swapped (a view). */
    private static NDArray transposed(NDArray a) {
        return a.transpose(0, 1, 3, 2);
    }

    /** 0..B-1: the batch copy's own first axis. */
    private static NDArray local(NDManager scope, long batch) {
        return scope.arange(0L, batch, 1L, DataType.INT64);
    }
}
