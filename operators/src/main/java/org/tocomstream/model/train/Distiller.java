package org.tocomstream.model.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.model.HostTensor;
import org.tocomstream.model.IdleTraining;
import org.tocomstream.model.Safetensors;
import org.tocomstream.model.Scalars;
import org.tocomstream.model.TimmKeys;
import org.tocomstream.model.VitConfig;
import org.tocomstream.model.VitForward;

/**
 * The distillation side of a {@link Trainer} run with a {@link DistillTeacher}: the frozen
 * teacher's forward pass, the projector ensemble (fresh, or restored from {@value #FILE} in the
 * checkpoint's {@code training/} directory on resume) and the loss of {@link Distillation}.
 */
final class Distiller {

    /** Where a checkpoint keeps the projectors, inside {@code training/}. */
    static final String FILE = "projectors.safetensors";

    private final Distillation settings;
    private final VitForward teacher;
    private final ProjectorEnsemble projectors;

    private Distiller(Distillation settings, VitForward teacher, ProjectorEnsemble projectors) {
        this.settings = settings;
        this.teacher = teacher;
        this.projectors = projectors;
    }

    /**
     * The teacher on {@code manager}'s device and the projectors: restored from {@code stateDir}
     * when resuming, else fresh from {@code seed}.
     *
     * @throws IllegalArgumentException if the student cannot learn from the teacher
     */
    static Distiller open(
            DistillTeacher t,
            VitConfig student,
            List<String> studentLabels,
            boolean resume,
            Path stateDir,
            long seed,
            NDManager manager)
            throws IOException {
        String misfit = t.misfit(student, studentLabels);
        if (misfit != null) {
            throw new IllegalArgumentException("cannot distil from the teacher: " + misfit);
        }
        Map<String, NDArray> frozen = new LinkedHashMap<>();
        for (String key : TimmKeys.expectedShapes(t.architecture()).keySet()) {
            HostTensor w = t.weights().get(key);
            if (w == null) {
                throw new IllegalArgumentException("the teacher's weights lack " + key);
            }
            frozen.put(key, manager.create(FloatBuffer.wrap(w.data()), new Shape(w.shape())));
        }
        Distillation s = t.settings();
        if (resume) {
            TrainCheckpoint.requireDistillation(stateDir, TrainCheckpoint.read(stateDir), s);
        }
        ProjectorEnsemble projectors = null;
        if (s.usesProjectors()) {
            projectors = resume
                    ? ProjectorEnsemble.of(s.projectors(), Safetensors.read(stateDir.resolve(FILE)), manager)
                    : ProjectorEnsemble.fresh(
                            s.projectors(), student.embedDim(), t.architecture().embedDim(), seed, manager);
        }
        return new Distiller(s, new VitForward(t.architecture(), frozen), projectors);
    }

    /** The projectors' parameters (trained beside the student, saved apart); empty without them. */
    Map<String, NDArray> projectorParams() {
        return projectors == null ? Map.of() : projectors.params();
    }

    /** The student's parameters followed by the projectors': what the optimizer updates. */
    Map<String, NDArray> withProjectors(Map<String, NDArray> studentParams) {
        Map<String, NDArray> all = new LinkedHashMap<>(studentParams);
        all.putAll(projectorParams());
        return all;
    }

    /**
     * One batch through the teacher and the student (both at no compression) and the loss.
     *
     * @param labels (B) int labels, used only when {@code labelled}
     */
    Parts step(VitForward student, NDArray images, NDArray labels, boolean labelled, double labelSmoothing) {
        IdleTraining.Output t = IdleTraining.forward(teacher, images, CompressionLevel.none());
        IdleTraining.Output s = IdleTraining.forward(student, images, CompressionLevel.none());
        return of(settings, projectors, s, t, labelled ? labels : null, labelSmoothing);
    }

    /**
     * The loss parts of one batch.
     *
     * @param logits (B, classes) the student's logits
     * @param total the loss to differentiate
     * @param reference (B) int32 labels the step's accuracy counts against: the data's, or the
     *     teacher's top-1 without labels
     * @param feature 1 − cos of the averaged projection and the teacher feature, batch mean, before
     *     its weight (null without projectors)
     */
    record Parts(NDArray logits, NDArray total, NDArray reference, NDArray feature) {}

    /** Every term for a student's and a teacher's output; {@code labels} null for unlabelled data. */
    static Parts of(
            Distillation d,
            ProjectorEnsemble projectors,
            IdleTraining.Output student,
            IdleTraining.Output teacher,
            NDArray labels,
            double labelSmoothing) {
        NDManager m = student.logits().getManager();
        NDArray total = m.zeros(new Shape());
        if (labels != null) {
            total = total.add(Trainer.smoothedCrossEntropy(student.logits(), labels, labelSmoothing));
        }
        if (d.kdWeight() > 0) {
            NDArray t = Scalars.of(m, (float) d.temperature());
            NDArray kl = IdleRecipeLoss.logitKl(
                    student.logits().div(t), teacher.logits().div(t));
            float weight = (float) (d.kdWeight() * d.temperature() * d.temperature());
            total = total.add(kl.mul(Scalars.of(m, weight)));
        }
        NDArray feature = null;
        if (projectors != null) {
            feature = ProjectorEnsemble.cosineLoss(projectors.project(student.classFeature()), teacher.classFeature());
            total = total.add(feature.mul(Scalars.of(m, (float) d.featureWeight())));
        }
        NDArray reference = labels != null ? labels : teacher.logits().argMax(1).toType(DataType.INT32, false);
        return new Parts(student.logits(), total, reference, feature);
    }
}
