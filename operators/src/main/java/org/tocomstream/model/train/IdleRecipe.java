package org.tocomstream.model.train;

/**
 * IdleViT's fine-tuning recipe at an idle level ({@code src/docs/token-reduction.md}, IdleViT):
 * the student runs the masked training form, and its loss adds to the label-smoothed
 * cross-entropy a token-cut loss per idle block and distillation from the dense model (the
 * starting weights, frozen, at no compression):
 *
 * <pre>
 * loss = CE + Σ_idle blocks (inter + intra)
 *           + distillWeight · KL(teacher ‖ student)           logits, summed over classes, batch mean
 *           + 100 · distillWeight · MSE(ĉ_student, ĉ_teacher)  ĉ = L2-normalised final class token
 * </pre>
 *
 * See {@link IdleRecipeLoss} for the terms.
 *
 * @param distillWeight weight of the logit distillation; the feature term weighs 100 times more
 */
public record IdleRecipe(double distillWeight) {

    /** The recipe's distillation weight. */
    public static final double DEFAULT_DISTILL_WEIGHT = 10;
    /** Fine-tuning starts at this learning rate ... */
    public static final double DEFAULT_LR = 1e-5;
    /** ... and decays along a cosine to this one. */
    public static final double DEFAULT_MIN_LR = 1e-6;
    /** Feature distillation weighs this many times the logit distillation. */
    static final double FEATURE_FACTOR = 100;

    public IdleRecipe {
        if (!(distillWeight >= 0) || Double.isInfinite(distillWeight)) {
            throw new IllegalArgumentException("distillation weight must be finite and >= 0 but was " + distillWeight);
        }
    }

    /** The recipe with its published distillation weight. */
    public static IdleRecipe defaults() {
        return new IdleRecipe(DEFAULT_DISTILL_WEIGHT);
    }
}
