package org.tocomstream.model.train;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.tocomstream.model.HostTensor;
import org.tocomstream.model.VitConfig;

/**
 * A frozen teacher for {@link Trainer}: its architecture (which may differ from the student's in
 * width, depth or block kind, not in input size or classes), its labels, its timm-named weights
 * and the distillation settings.
 *
 * <pre>{@code
 * DistillTeacher teacher = new DistillTeacher(tSpec.architecture(), tSpec.labels(),
 *         VitCheckpoint.load(tSpec.weightsPath(dir), tSpec.architecture()), Distillation.defaults());
 * new Trainer(studentSpec, config, Device.cpu(), teacher).train(init, data, null, out, p -> {});
 * }</pre>
 */
public record DistillTeacher(
        VitConfig architecture, List<String> labels, Map<String, HostTensor> weights, Distillation settings) {

    public DistillTeacher {
        Objects.requireNonNull(architecture, "architecture");
        labels = List.copyOf(labels);
        Objects.requireNonNull(weights, "weights");
        Objects.requireNonNull(settings, "settings");
    }

    /**
     * Why a student of {@code student} with {@code studentLabels} cannot learn from this teacher,
     * or null if it can: the same classes in the same order, the same input.
     */
    public String misfit(VitConfig student, List<String> studentLabels) {
        if (!labels.equals(studentLabels)) {
            return String.format("the teacher's labels %s differ from the student's %s", labels, studentLabels);
        }
        if (architecture.imageSize() != student.imageSize() || architecture.inChannels() != student.inChannels()) {
            return String.format(
                    "the teacher's input (%d channels, %d px) differs from the student's (%d channels, %d px)",
                    architecture.inChannels(), architecture.imageSize(), student.inChannels(), student.imageSize());
        }
        return null;
    }
}
