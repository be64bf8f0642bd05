package org.tocomstream.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.tocomstream.stream.testutils.Frames.frame;

import ai.djl.Device;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.apache.flink.api.common.externalresource.ExternalResourceInfo;
import org.apache.flink.runtime.operators.testutils.MockEnvironment;
import org.apache.flink.runtime.operators.testutils.MockEnvironmentBuilder;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.tasks.mailbox.Mail;
import org.apache.flink.streaming.runtime.tasks.mailbox.TaskMailbox;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.model.Devices;
import org.tocomstream.model.ModelSpec;
import org.tocomstream.model.ReuseCacheConfig;
import org.tocomstream.model.VitModel;
import org.tocomstream.stream.SharedModelPredictorFactory.SharedModelPredictor;
import org.tocomstream.stream.testutils.TestingPredictor;
import org.tocomstream.stream.testutils.TinyModels;
import org.tocomstream.testutils.RandomWeights;

/**
 * Device assignment on the CPU with simulated GPUs: each simulated TaskManager is one JVM's state
 * (its own {@link DeviceSelection.GpuLoads} and {@link ModelRegistry}) with the GPU indices Flink's
 * external resource hands it; the engine is made to see {@value #VISIBLE_GPUS} GPUs, and the
 * loader builds the tiny model on the CPU whatever device it is asked for, recording the device.
 */
class DeviceAssignmentTest {

    private static final int VISIBLE_GPUS = 4;

    private static final Function<String, Device> ENGINE = name -> Devices.parse(name, () -> VISIBLE_GPUS);

    /** Never read: the simulated loader builds the model. */
    private static final String MODEL_DIR = "models/tiny";

    private static final ModelConfig AUTO = new ModelConfig(MODEL_DIR, "auto", "gpu", "none", null);

    /** A GPU as Flink's external-resource framework describes it. */
    private record Gpu(String index) implements ExternalResourceInfo {
        @Override
        public Optional<String> getProperty(String key) {
            return key.equals("index") ? Optional.of(index) : Optional.empty();
        }

        @Override
        public Collection<String> getKeys() {
            return List.of("index");
        }
    }

    /** One simulated TaskManager JVM. */
    private static final class TaskManager {
        final List<String> gpus;
        final DeviceSelection.GpuLoads loads = new DeviceSelection.GpuLoads();
        final List<Device> loaded = Collections.synchronizedList(new ArrayList<>());
        final ModelRegistry registry = new ModelRegistry(this::load);
        final SharedModelPredictorFactory factory;

        /** @param gpus the GPU indices of the external resource, in the order Flink lists them */
        TaskManager(ModelConfig config, String... gpus) {
            List<ExternalResourceInfo> infos = new ArrayList<>();
            for (String g : gpus) {
                infos.add(new Gpu(g));
            }
            this.gpus = DeviceSelection.gpuIndices(infos);
            this.factory = new SharedModelPredictorFactory(config, ReuseCacheConfig.DEFAULTS);
        }

        private ModelRegistry.LoadedModel load(Path dir, Device device) {
            loaded.add(device);
            VitModel model = VitModel.fromWeights(
                    ModelSpec.of(TinyModels.CONFIG, TinyModels.LABELS),
                    RandomWeights.of(TinyModels.CONFIG, 1),
                    Device.cpu());
            return new ModelRegistry.LoadedModel(model, "tiny@" + device);
        }

        SharedModelPredictor open(int subtask) throws IOException {
            return factory.open(new PredictorContext(subtask, gpus), loads, registry, ENGINE);
        }

        /** Open leases on the model instance of {@code device}. */
        int leases(String device) {
            return registry.references(Path.of(MODEL_DIR), ENGINE.apply(device), null);
        }
    }

    /** Subtasks per device. */
    private static Map<String, Integer> spread(List<SharedModelPredictor> predictors) {
        Map<String, Integer> out = new HashMap<>();
        for (SharedModelPredictor p : predictors) {
            out.merge(p.device(), 1, Integer::sum);
        }
        return out;
    }

    private static void closeAll(List<SharedModelPredictor> predictors) {
        predictors.forEach(SharedModelPredictor::close);
        predictors.clear();
    }

    @Test
    void eachTaskManagersSubtasksSpreadOverItsOwnGpusWithOneModelPerDevice() throws IOException {
        // Flink numbers the GPUs of a host; two TaskManagers of one host get disjoint ones.
        TaskManager a = new TaskManager(AUTO, "3", "2");
        TaskManager b = new TaskManager(AUTO, "0", "1");
        List<SharedModelPredictor> onA = new ArrayList<>();
        List<SharedModelPredictor> onB = new ArrayList<>();
        // Parallelism 8 over 2 TaskManagers: A runs the even subtasks, B the odd ones. By the
        // global index modulo 2 every subtask of A would pick its first GPU.
        for (int subtask = 0; subtask < 8; subtask++) {
            (subtask % 2 == 0 ? onA : onB).add((subtask % 2 == 0 ? a : b).open(subtask));
        }

        assertThat(spread(onA)).isEqualTo(Map.of("gpu2", 2, "gpu3", 2));
        assertThat(spread(onB)).isEqualTo(Map.of("gpu0", 2, "gpu1", 2));
        assertThat(a.loaded)
                .as("one model instance per device")
                .containsExactlyInAnyOrder(Device.gpu(2), Device.gpu(3));
        assertThat(b.loaded).containsExactlyInAnyOrder(Device.gpu(0), Device.gpu(1));
        assertThat(a.leases("gpu2")).isEqualTo(2);
        assertThat(a.leases("gpu0")).as("never a GPU of another TaskManager").isZero();
        for (SharedModelPredictor p : onA) {
            assertThat(p.modelId()).as("the instance of its device").isEqualTo("tiny@" + ENGINE.apply(p.device()));
        }

        closeAll(onA);
        closeAll(onB);
        assertThat(a.leases("gpu2") + a.leases("gpu3") + b.leases("gpu0") + b.leases("gpu1"))
                .as("every instance closed with its last subtask")
                .isZero();
        assertThat(a.loads.load("2") + a.loads.load("3")).isZero();
    }

    @Test
    void aRestartedSubtaskTakesTheFreedGpuAndARescaledJobSpreadsAgain() throws IOException {
        TaskManager a = new TaskManager(AUTO, "2", "3");
        List<SharedModelPredictor> subtasks = new ArrayList<>();
        for (int subtask : new int[] {0, 2, 4, 6}) {
            subtasks.add(a.open(subtask));
        }
        assertThat(spread(subtasks)).isEqualTo(Map.of("gpu2", 2, "gpu3", 2));

        // One subtask on gpu3 fails and is restarted while the others keep running.
        SharedModelPredictor failed = subtasks.stream()
                .filter(p -> p.device().equals("gpu3"))
                .findFirst()
                .orElseThrow();
        failed.close();
        subtasks.remove(failed);
        assertThat(a.leases("gpu3")).isEqualTo(1);
        subtasks.add(a.open(0)); // its global index points at gpu2 first
        assertThat(spread(subtasks)).isEqualTo(Map.of("gpu2", 2, "gpu3", 2));
        assertThat(a.loaded).as("the gpu3 instance stayed loaded").hasSize(2);

        // Stop with a savepoint, restart at parallelism 4 over 2 TaskManagers: this one now runs
        // subtasks 1 and 3, which the global index modulo 2 would both put on gpu3.
        closeAll(subtasks);
        subtasks.add(a.open(1));
        subtasks.add(a.open(3));
        assertThat(spread(subtasks)).isEqualTo(Map.of("gpu2", 1, "gpu3", 1));
        assertThat(a.loaded).as("reloaded after the last subtask closed").hasSize(4);
        closeAll(subtasks);
    }

    @Test
    void withoutAssignedGpusAutoRunsOneModelOnTheCpu() throws IOException {
        TaskManager cpuOnly = new TaskManager(AUTO);
        SharedModelPredictor first = cpuOnly.open(0);
        SharedModelPredictor second = cpuOnly.open(1);

        assertThat(List.of(first.device(), second.device())).containsOnly("cpu");
        assertThat(cpuOnly.loaded).containsExactly(Device.cpu());
        first.close();
        second.close();
    }

    @Test
    void aGpuTheEngineCannotSeeFailsNamingTheSettingsAndIsGivenBack() {
        TaskManager wrong = new TaskManager(AUTO, "5");
        assertThatThrownBy(() -> wrong.open(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(ModelConfig.DEVICE + " = auto")
                .hasMessageContaining("cannot run on gpu5")
                .hasMessageContaining("external resource 'gpu' (" + ModelConfig.GPU_RESOURCE + "): [5]")
                .hasMessageContaining("sees 4 GPU(s)");
        assertThat(wrong.loads.load("5")).isZero();
        assertThat(wrong.loaded).isEmpty();

        TaskManager configured = new TaskManager(new ModelConfig(MODEL_DIR, "gpu7", "gpu", "none", null), "0", "1");
        assertThatThrownBy(() -> configured.open(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(ModelConfig.DEVICE + " = gpu7");
    }

    @Test
    void theOperatorReadsTheGpusOfTheNamedResourceAndLabelsSayTheDevice() throws Exception {
        TestingPredictor predictor = TestingPredictor.simple().withDevice("gpu3");
        PredictorFactory factory = new NamedResource(predictor.factory(), "nvidia");
        Map<String, Set<ExternalResourceInfo>> resources =
                Map.of("nvidia", Set.of(new Gpu("3"), new Gpu("2")), "gpu", Set.of(new Gpu("0")));
        try (MockEnvironment env = new MockEnvironmentBuilder()
                .setParallelism(4)
                .setMaxParallelism(128)
                .setSubtaskIndex(2)
                .setExternalResourceInfoProvider(name -> resources.getOrDefault(name, Set.of()))
                .build()) {
            OneInputStreamOperatorTestHarness<DecodedFrame, LabelRecord> harness =
                    new OneInputStreamOperatorTestHarness<>(
                            new BatchInferenceOperatorFactory(
                                    new BatchingConfig(2, Duration.ofMinutes(1), 1),
                                    3,
                                    factory,
                                    LevelSource.fixed(CompressionLevel.none())),
                            env);
            try {
                harness.setProcessingTime(1000);
                harness.open();
                assertThat(predictor.contexts()).containsExactly(new PredictorContext(2, List.of("2", "3")));

                for (DecodedFrame f : List.of(frame("a", 0, 900, 1), frame("a", 1, 900, 2))) {
                    harness.processElement(new StreamRecord<>(f, f.captureTs()));
                }
                long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                while (harness.extractOutputValues().size() < 2) {
                    assertThat(System.nanoTime()).as("labels within 10 s").isLessThan(deadline);
                    TaskMailbox mailbox = harness.getTaskMailbox();
                    Optional<Mail> mail;
                    while ((mail = mailbox.tryTake(TaskMailbox.MIN_PRIORITY)).isPresent()) {
                        mail.get().run();
                    }
                    Thread.sleep(1);
                }
                assertThat(harness.extractOutputValues())
                        .extracting(LabelRecord::device)
                        .containsExactly("gpu3", "gpu3");
            } finally {
                harness.close();
            }
        }
    }

    /** A factory whose GPUs are listed under another external-resource name. */
    private record NamedResource(PredictorFactory inner, String resource) implements PredictorFactory {
        @Override
        public BatchPredictor open(PredictorContext context) throws Exception {
            return inner.open(context);
        }

        @Override
        public String gpuResourceName() {
            return resource;
        }
    }
}
