package org.tocomstream.model.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.model.IdleTraining;
import org.tocomstream.model.Scalars;
import org.tocomstream.model.VitForward;

/**
 * The terms of {@link IdleRecipe}'s loss on DJL arrays, differentiable with respect to the
 * student's outputs. Constants go through {@link Scalars}, since autograd keeps the operands.
 */
final class IdleRecipeLoss {

    private IdleRecipeLoss() {}

    /**
     * The loss parts of one batch.
     *
     * @param logits (B, classes) the student's logits
     * @param total CE + cut + weighted distillation, a scalar to differentiate
     * @param crossEntropy label-smoothed cross-entropy
     * @param cut token-cut loss summed over the idle blocks
     * @param logitKl KL(teacher ‖ student) of the logits, before its weight
     * @param featureMse MSE of the normalised class features, before its weight
     */
    record Parts(
            NDArray logits, NDArray total, NDArray crossEntropy, NDArray cut, NDArray logitKl, NDArray featureMse) {}

    /**
     * One batch through the student at {@code level} in the masked training form and through the
     * frozen teacher at {@code none}, and the recipe's loss. The teacher's weights need no
     * gradient, so autograd records nothing of its pass.
     */
    static Parts step(
            IdleRecipe recipe,
            VitForward student,
            VitForward teacher,
            NDArray images,
            NDArray labels,
            CompressionLevel level,
            double labelSmoothing) {
        IdleTraining.Output t = IdleTraining.forward(teacher, images, CompressionLevel.none());
        IdleTraining.Output s = IdleTraining.forward(student, images, level);
        return of(recipe, s, t, labels, labelSmoothing);
    }

    /** Every term for a student's and a teacher's output on the same batch with labels {@code labels}. */
    static Parts of(
            IdleRecipe recipe,
            IdleTraining.Output student,
            IdleTraining.Output teacher,
            NDArray labels,
            double labelSmoothing) {
        NDManager m = student.logits().getManager();
        NDArray ce = Trainer.smoothedCrossEntropy(student.logits(), labels, labelSmoothing);
        NDArray cut = tokenCut(student.idleBlocks(), m);
        NDArray kl = logitKl(student.logits(), teacher.logits());
        NDArray feat = featureMse(student.classFeature(), teacher.classFeature());
        float w = (float) recipe.distillWeight();
        NDArray total = ce.add(cut).add(kl.mul(Scalars.of(m, w))).add(feat.mul(Scalars.of(m, (float)
                (IdleRecipe.FEATURE_FACTOR * w))));
        return new Parts(student.logits(), total, ce, cut, kl, feat);
    }

    /** The token-cut loss summed over idle blocks; 0 when none idles. */
    static NDArray tokenCut(List<IdleTraining.IdleView> blocks, NDManager m) {
        NDArray sum = Scalars.of(m, 0f);
        for (IdleTraining.IdleView v : blocks) {
            sum = sum.add(tokenCut(v.meanLogits(), v.mask()));
        }
        return sum;
    }

    /**
     * One idle block's token-cut loss: with {@code W = softmax(meanLogits)} over the keys and the
     * 0/1 mask m,
     *
     * <pre>
     * inter_i = Σ_j |m_i − m_j| W_ij   with W's class column (j = 0) zeroed, MSE to 0
     * intra_i = Σ_j m_i m_j W_ij                                            MSE to m_i
     * </pre>
     *
     * each MSE averaged over the batch and the N tokens, and the two summed. inter pushes the
     * attention between selected and idle tokens (either way) to 0; intra pushes a selected
     * token's attention onto the selected set.
     *
     * @param meanLogits (B, N, N) head-mean attention logits
     * @param mask (B, N) 0/1 selection
     */
    static NDArray tokenCut(NDArray meanLogits, NDArray mask) {
        long batch = mask.getShape().get(0);
        long n = mask.getShape().get(1);
        NDManager m = mask.getManager();
        NDArray w = meanLogits.softmax(-1);
        NDArray mi = mask.reshape(batch, n, 1);
        NDArray mj = mask.reshape(batch, 1, n);
        NDArray notClass = m.ones(new Shape(1, 1, n));
        notClass.set(new NDIndex(":, :, 0"), 0f);
        NDArray inter = w.mul(mi.sub(mj).abs().mul(notClass)).sum(new int[] {2});
        NDArray intra = w.mul(mi.mul(mj)).sum(new int[] {2});
        return inter.square().mean().add(intra.sub(mask).square().mean());
    }

    /** KL(teacher ‖ student) of the class distributions, summed over classes, mean over the batch. */
    static NDArray logitKl(NDArray student, NDArray teacher) {
        NDArray logT = teacher.logSoftmax(1);
        return logT.exp()
                .mul(logT.sub(student.logSoftmax(1)))
                .sum(new int[] {1})
                .mean();
    }

    /** Mean over batch and channels of the squared difference of the L2-normalised features (B, D). */
    static NDArray featureMse(NDArray student, NDArray teacher) {
        return normalised(student).sub(normalised(teacher)).square().mean();
    }

    private static NDArray normalised(NDArray f) {
        // Clamped as torch's F.normalize does (eps 1e-12), so an all-zero feature stays finite.
        NDArray norm = f.square().sum(new int[] {1}, true).sqrt().maximum(Scalars.of(f.getManager(), 1e-12f));
        return f.div(norm);
    }
}
