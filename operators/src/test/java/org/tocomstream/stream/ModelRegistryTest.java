package org.tocomstream.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.model.ModelSpec;
import org.tocomstream.model.VitModel;
import org.tocomstream.stream.testutils.TinyModels;
import org.tocomstream.testutils.RandomWeights;

class ModelRegistryTest {

    private static final long[] ONE_FRAME = {1, 3, 32, 32};
    private static final float[] PIXELS = RandomWeights.gaussian(3, 3 * 32 * 32);

    /** Builds the tiny model on the CPU whatever device is asked for, and counts loads. */
    private static final class CountingLoader implements ModelRegistry.Loader {
        final AtomicInteger loads = new AtomicInteger();
        final AtomicBoolean failNext = new AtomicBoolean();

        @Override
        public ModelRegistry.LoadedModel load(Path dir, Device device) throws IOException {
            if (failNext.getAndSet(false)) {
                throw new IOException("cannot read " + dir);
            }
            int n = loads.incrementAndGet();
            VitModel model = VitModel.fromWeights(
                    ModelSpec.of(TinyModels.CONFIG, TinyModels.LABELS),
                    RandomWeights.of(TinyModels.CONFIG, 1),
                    Device.cpu());
            return new ModelRegistry.LoadedModel(model, "tiny@" + n);
        }
    }

    @Test
    void twoSubtasksShareOneModelWhichIsClosedAfterBothRelease() throws IOException {
        CountingLoader loader = new CountingLoader();
        ModelRegistry registry = new ModelRegistry(loader);
        Path dir = Path.of("models", "tiny");

        ModelRegistry.Lease first = registry.acquire(dir, Device.cpu());
        ModelRegistry.Lease second = registry.acquire(dir.toAbsolutePath(), Device.cpu());

        assertThat(second.model()).isSameAs(first.model());
        assertThat(loader.loads).hasValue(1);
        assertThat(registry.references(dir, Device.cpu())).isEqualTo(2);

        first.close();
        assertThat(registry.references(dir, Device.cpu())).isEqualTo(1);
        VitModel model = second.model();
        assertThat(model.logits(PIXELS, ONE_FRAME, CompressionLevel.none())).hasDimensions(1, 10);

        second.close();
        assertThat(registry.references(dir, Device.cpu())).isZero();
        assertThatThrownBy(() -> model.logits(PIXELS, ONE_FRAME, CompressionLevel.none()))
                .as("the model's native memory is released")
                .hasMessageContaining("closed");

        try (ModelRegistry.Lease again = registry.acquire(dir, Device.cpu())) {
            assertThat(again.model()).isNotSameAs(model);
            assertThat(again.modelId()).isEqualTo("tiny@2");
        }
        assertThat(loader.loads).hasValue(2);
    }

    @Test
    void closingALeaseTwiceReleasesItOnce() throws IOException {
        ModelRegistry registry = new ModelRegistry(new CountingLoader());
        Path dir = Path.of("m");
        ModelRegistry.Lease a = registry.acquire(dir, Device.cpu());
        try (ModelRegistry.Lease b = registry.acquire(dir, Device.cpu())) {
            a.close();
            a.close();
            assertThat(registry.references(dir, Device.cpu())).isEqualTo(1);
            assertThat(b.model().logits(PIXELS, ONE_FRAME, CompressionLevel.tome(2)))
                    .hasDimensions(1, 10);
        }
        assertThat(registry.references(dir, Device.cpu())).isZero();
    }

    @Test
    void eachDirectoryAndDeviceHasItsOwnModel() throws IOException {
        CountingLoader loader = new CountingLoader();
        ModelRegistry registry = new ModelRegistry(loader);
        try (ModelRegistry.Lease a = registry.acquire(Path.of("m1"), Device.cpu());
                ModelRegistry.Lease b = registry.acquire(Path.of("m2"), Device.cpu());
                ModelRegistry.Lease c = registry.acquire(Path.of("m1"), Device.gpu(0))) {
            assertThat(List.of(a.model(), b.model(), c.model())).doesNotHaveDuplicates();
            assertThat(loader.loads).hasValue(3);
        }
    }

    @Test
    void aFailedLoadLeavesNothingBehind() throws IOException {
        CountingLoader loader = new CountingLoader();
        ModelRegistry registry = new ModelRegistry(loader);
        loader.failNext.set(true);

        assertThatThrownBy(() -> registry.acquire(Path.of("m"), Device.cpu()))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("cannot read");
        assertThat(registry.references(Path.of("m"), Device.cpu())).isZero();

        try (ModelRegistry.Lease lease = registry.acquire(Path.of("m"), Device.cpu())) {
            assertThat(registry.references(Path.of("m"), Device.cpu())).isEqualTo(1);
            assertThat(lease.modelId()).isEqualTo("tiny@1");
        }
    }

    @Test
    void concurrentSubtasksLoadTheModelOnce() throws Exception {
        CountingLoader loader = new CountingLoader();
        ModelRegistry registry = new ModelRegistry(loader);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Callable<ModelRegistry.Lease>> tasks = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                tasks.add(() -> registry.acquire(Path.of("m"), Device.cpu()));
            }
            List<ModelRegistry.Lease> leases = new ArrayList<>();
            for (Future<ModelRegistry.Lease> f : pool.invokeAll(tasks)) {
                leases.add(f.get());
            }
            assertThat(loader.loads).hasValue(1);
            assertThat(leases)
                    .extracting(ModelRegistry.Lease::model)
                    .containsOnly(leases.get(0).model());
            leases.forEach(ModelRegistry.Lease::close);
            assertThat(registry.references(Path.of("m"), Device.cpu())).isZero();
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void theDefaultLoaderReadsAModelDirectoryAndNamesItByItsWeights(@TempDir Path dir) throws Exception {
        ModelSpec spec = TinyModels.write(dir, 7);
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(spec.weightsPath(dir)));

        ModelRegistry.LoadedModel loaded = ModelRegistry.loadDirectory(dir, Device.cpu());
        try (VitModel model = loaded.model()) {
            assertThat(loaded.id()).isEqualTo("vit_test_tiny@" + HexFormat.of().formatHex(digest, 0, 4));
            assertThat(model.spec().labels()).isEqualTo(TinyModels.LABELS);
        }
    }

    @Test
    void sharedModelPredictorsOfTwoSubtasksShareTheRegistrysModel(@TempDir Path dir) throws Exception {
        TinyModels.write(dir, 11);
        PredictorFactory factory = PredictorFactory.sharedModel(new ModelConfig(dir.toString(), "auto", "gpu"));

        try (BatchPredictor p0 = factory.open(new PredictorContext(0, List.of()));
                BatchPredictor p1 = factory.open(new PredictorContext(1, List.of()))) {
            assertThat(ModelRegistry.shared().references(dir, Device.cpu())).isEqualTo(2);
            assertThat(p0.labels()).isEqualTo(TinyModels.LABELS);
            assertThat(p0.modelId()).isEqualTo(p1.modelId()).startsWith("vit_test_tiny@");
            float[] two = RandomWeights.gaussian(5, 2 * 3 * 32 * 32);
            assertThat(p0.logits(two, 2, CompressionLevel.tome(4)))
                    .isDeepEqualTo(p1.logits(two, 2, CompressionLevel.tome(4)));
            assertThat(p0.compensator(CompressionLevel.tome(4))).isNull();
        }
        assertThat(ModelRegistry.shared().references(dir, Device.cpu())).isZero();
    }
}
