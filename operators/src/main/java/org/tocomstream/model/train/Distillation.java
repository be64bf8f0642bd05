package org.tocomstream.model.train;

import java.util.Locale;

/**
 * Settings of distilling a student from a frozen teacher ({@link DistillTeacher}): logit KD and
 * projector-ensemble feature distillation on the class-token feature. With labelled data the loss
 * is
 *
 * <pre>
 * loss = CE(student, labels)                                   label-smoothed; absent without labels
 *      + kdWeight · T² · KL(softmax(t / T) ‖ softmax(s / T))     summed over classes, batch mean
 *      + featureWeight · mean_batch(1 − cos(f̄, f_t))
 * f̄ = (1/q) Σ_i ReLU(W_i f_s + b_i)                            q projectors, Linear(d_s → d_t)
 * </pre>
 *
 * where f_s and f_t are the student's and the teacher's class token after the final norm (what
 * each head reads). The projectors train with the student and are not part of the saved model.
 *
 * @param projectors q, the projectors averaged (1 or more)
 * @param featureWeight β of the feature term (0: no feature distillation, no projectors)
 * @param kdWeight weight of the logit distillation (0: none)
 * @param temperature T of the logit distillation, > 0
 */
public record Distillation(int projectors, double featureWeight, double kdWeight, double temperature) {

    /** Three projectors, as the projector-ensemble paper uses. */
    public static final int DEFAULT_PROJECTORS = 3;
    /** β = 25, as the projector-ensemble paper uses. */
    public static final double DEFAULT_FEATURE_WEIGHT = 25;
    /** Logit distillation at weight 1 beside the cross-entropy. */
    public static final double DEFAULT_KD_WEIGHT = 1;
    /** Hinton's softened targets at T = 4, the projector papers' logit setting. */
    public static final double DEFAULT_TEMPERATURE = 4;

    public Distillation {
        if (projectors < 1) {
            throw new IllegalArgumentException("projectors must be >= 1 but was " + projectors);
        }
        finiteNonNegative("feature weight", featureWeight);
        finiteNonNegative("KD weight", kdWeight);
        if (!(temperature > 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("KD temperature must be finite and > 0 but was " + temperature);
        }
        if (featureWeight == 0 && kdWeight == 0) {
            throw new IllegalArgumentException("distillation needs a feature weight or a KD weight above 0");
        }
    }

    /** The defaults: 3 projectors, β 25, KD weight 1 at T 4. */
    public static Distillation defaults() {
        return new Distillation(DEFAULT_PROJECTORS, DEFAULT_FEATURE_WEIGHT, DEFAULT_KD_WEIGHT, DEFAULT_TEMPERATURE);
    }

    /** Whether the feature term (and so the projectors) is used. */
    public boolean usesProjectors() {
        return featureWeight > 0;
    }

    /** The settings as a checkpoint records them, to refuse resuming with others. */
    public String describe() {
        return String.format(
                Locale.ROOT,
                "projectors %d, feature weight %s, KD weight %s, temperature %s",
                usesProjectors() ? projectors : 0,
                featureWeight,
                kdWeight,
                temperature);
    }

    private static void finiteNonNegative(String what, double v) {
        if (!(v >= 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException(what + " must be finite and >= 0 but was " + v);
        }
    }
}
