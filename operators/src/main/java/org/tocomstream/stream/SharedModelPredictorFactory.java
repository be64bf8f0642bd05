package org.tocomstream.stream;

import ai.djl.Device;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tocomstream.compensate.BoundCompensator;
import org.tocomstream.compensate.CompensatorConfig;
import org.tocomstream.compensate.CompensatorPair;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.compress.TokenGeometry;
import org.tocomstream.model.Devices;
import org.tocomstream.model.ForwardContext;
import org.tocomstream.model.QvAdapter;
import org.tocomstream.model.ReuseCache;
import org.tocomstream.model.ReuseCacheConfig;
import org.tocomstream.model.ReuseResult;
import org.tocomstream.model.ReuseState;
import org.tocomstream.model.VitConfig;
import org.tocomstream.model.VitModel;

/** {@link PredictorFactory#sharedModel}: leases from {@link ModelRegistry#shared()}. */
final class SharedModelPredictorFactory implements PredictorFactory {

    private static final long serialVersionUID = 1L;

    private static final Logger LOG = LoggerFactory.getLogger(SharedModelPredictorFactory.class);

    private final ModelConfig config;
    private final ReuseCacheConfig reuse;

    SharedModelPredictorFactory(ModelConfig config, ReuseCacheConfig reuse) {
        this.config = Objects.requireNonNull(config, "model config");
        this.reuse = Objects.requireNonNull(reuse, "reuse cache config");
    }

    @Override
    public String gpuResourceName() {
        return config.gpuResourceName();
    }

    @Override
    public BatchPredictor open(PredictorContext context) throws Exception {
        return open(context, DeviceSelection.GpuLoads.jvm(), ModelRegistry.shared(), Devices::parse);
    }

    /**
     * {@link #open(PredictorContext)} with the TaskManager's parts given, so that tests can
     * simulate TaskManagers and their GPUs.
     *
     * @param loads the GPUs in use by the subtasks of this TaskManager
     * @param registry the models loaded in this TaskManager
     * @param devices parses a device name, checking the device is present ({@link Devices#parse})
     */
    SharedModelPredictor open(
            PredictorContext context,
            DeviceSelection.GpuLoads loads,
            ModelRegistry registry,
            Function<String, Device> devices)
            throws IOException {
        Path plugin = config.compensatorFile().orElse(null);
        Path dir = Path.of(config.modelDir());
        DeviceSelection.Choice choice =
                DeviceSelection.resolve(config.device(), context.subtaskIndex(), context.gpuIndices(), loads);
        Device device;
        ModelRegistry.Lease lease = null;
        ModelRegistry.Lease student;
        try {
            device = device(choice, context, devices);
            lease = registry.acquire(dir, device, plugin);
            student = StudentModel.acquire(config, registry, device, lease);
        } catch (IOException | RuntimeException | Error e) {
            if (lease != null) {
                lease.close();
            }
            choice.close();
            throw e;
        }
        String deviceName = Devices.name(device);
        LOG.info(
                "Subtask {} runs on {}: model {} from {}, the instance of this TaskManager on {} that {} subtask(s)"
                        + " share ({} = {}, GPUs assigned under external resource '{}': {}), compensator {} ({} = {})",
                context.subtaskIndex(),
                deviceName,
                lease.modelId(),
                config.modelDir(),
                deviceName,
                registry.references(dir, device, plugin),
                ModelConfig.DEVICE,
                config.device(),
                config.gpuResourceName(),
                context.gpuIndices(),
                plugin == null ? "none" : plugin,
                ModelConfig.COMPENSATOR,
                config.compensator());
        long perCamera = ReuseState.bytes(lease.model().config());
        LOG.info(
                "Subtask {}: token reuse caches at most {} = {} cameras of {} MB each, {} MB in all"
                        + " (filled only at reuse levels)",
                context.subtaskIndex(),
                ReuseCacheConfig.MAX_STREAMS,
                reuse.maxStreams(),
                String.format("%.1f", perCamera / 1e6),
                String.format("%.0f", reuse.maxStreams() * perCamera / 1e6));
        if (student != null) {
            LOG.info(
                    "Subtask {}: the student level runs {} from {} ({}) on {}",
                    context.subtaskIndex(),
                    student.modelId(),
                    config.studentDir(),
                    ModelConfig.STUDENT_DIR,
                    deviceName);
        }
        return new SharedModelPredictor(lease, student, config.compensatorScale(), choice, reuse);
    }

    /**
     * The device of {@code choice}, present on this TaskManager.
     *
     * @throws IllegalArgumentException naming the settings when it is not
     */
    private Device device(DeviceSelection.Choice choice, PredictorContext context, Function<String, Device> devices) {
        Device device;
        try {
            device = devices.apply(choice.device());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    String.format(
                            "%s = %s: subtask %d cannot run on %s (GPUs Flink assigned to this TaskManager"
                                    + " under external resource '%s' (%s): %s): %s",
                            ModelConfig.DEVICE,
                            config.device(),
                            context.subtaskIndex(),
                            choice.device(),
                            config.gpuResourceName(),
                            ModelConfig.GPU_RESOURCE,
                            context.gpuIndices(),
                            e.getMessage()),
                    e);
        }
        String index = String.valueOf(device.getDeviceId());
        if (device.isGpu()
                && !context.gpuIndices().isEmpty()
                && context.gpuIndices().stream().map(String::trim).noneMatch(index::equals)) {
            LOG.warn(
                    "Subtask {} runs on {} ({} = {}), which is not among the GPUs Flink assigned to this TaskManager"
                            + " under external resource '{}': {}; use {} = auto to stay on those",
                    context.subtaskIndex(),
                    Devices.name(device),
                    ModelConfig.DEVICE,
                    config.device(),
                    config.gpuResourceName(),
                    context.gpuIndices(),
                    ModelConfig.DEVICE);
        }
        return device;
    }

    @Override
    public String toString() {
        return "sharedModel(" + config + ")";
    }

    /**
     * One subtask's predictor over a leased, shared model and, when the lease carries one, its
     * Token Compensator: each batch at a constant ToMe level n gets Δ(m→n) in side-branch mode (m =
     * the model's {@code trainedCompression}), at the scale s times the calibration's factor for
     * the pair when the model was fine-tuned from the plugin's base ({@link
     * BoundCompensator#scale}). A level the plugin cannot serve (another method,
     * a degree outside its range) runs the plain compressed model and reports no pair.
     */
    static final class SharedModelPredictor implements BatchPredictor {

        private final ModelRegistry.Lease lease;
        /** The student's lease, or null without one. */
        private final ModelRegistry.Lease student;

        private final VitModel model;
        private final long[] frameShape;
        private final BoundCompensator compensator;
        private final double scale;
        private final DeviceSelection.Choice device;
        private final ReuseCache reuseCache;
        /** Levels already logged as running without the plugin, so each is logged once. */
        private final Set<CompressionLevel> uncovered = ConcurrentHashMap.newKeySet();

        /**
         * @param scale the compensator's scale s; null for the binding's default (the
         *     calibration's reference scale, else the plugin's default s)
         */
        SharedModelPredictor(
                ModelRegistry.Lease lease,
                ModelRegistry.Lease student,
                Double scale,
                DeviceSelection.Choice device,
                ReuseCacheConfig reuse) {
            this.lease = lease;
            this.student = student;
            this.device = device;
            this.model = lease.model();
            VitConfig cfg = model.config();
            this.frameShape = new long[] {cfg.inChannels(), cfg.imageSize(), cfg.imageSize()};
            this.compensator = lease.compensator();
            this.scale = scale != null ? scale : compensator == null ? 0 : compensator.defaultScale();
            this.reuseCache = new ReuseCache(reuse, model::newReuseState);
        }

        SharedModelPredictor(ModelRegistry.Lease lease) {
            this(lease, null, null, null, ReuseCacheConfig.DEFAULTS);
        }

        @Override
        public String modelId() {
            return lease.modelId();
        }

        @Override
        public String studentId() {
            return student == null ? null : student.modelId();
        }

        /** {@code cpu} or {@code gpuN}: the device of the model instance this predictor leases. */
        @Override
        public String device() {
            return Devices.name(lease.device());
        }

        @Override
        public Optional<TokenGeometry> geometry() {
            return Optional.of(model.config().geometry());
        }

        @Override
        public List<String> labels() {
            return model.spec().labels();
        }

        @Override
        public float[][] logits(float[] pixels, int batchSize, CompressionLevel level) {
            long[] shape = {batchSize, frameShape[0], frameShape[1], frameShape[2]};
            if (level.isStudent()) {
                if (student == null) {
                    throw new IllegalStateException(
                            "level student, but " + ModelConfig.STUDENT_DIR + " names no student");
                }
                return student.model().logits(pixels, shape, CompressionLevel.none());
            }
            Optional<CompensatorPair> pair = appliedPair(level);
            if (pair.isEmpty()) {
                return model.logits(pixels, shape, level);
            }
            QvAdapter adapter =
                    compensator.adapter(pair.get(), compensator.mode(), compensator.scale(pair.get(), scale));
            return model.logits(pixels, shape, ForwardContext.at(level).withAdapter(adapter));
        }

        @Override
        public ReuseCache reuseCache() {
            return reuseCache;
        }

        /** Reuse levels run without the compensator: its delta is trained for merged tokens. */
        @Override
        public ReuseResult logitsReusing(float[] pixels, int batchSize, CompressionLevel level, ReuseState[] states) {
            long[] shape = {batchSize, frameShape[0], frameShape[1], frameShape[2]};
            return model.logitsReusing(
                    pixels, shape, level, states, reuseCache.config().sceneCut());
        }

        @Override
        public String compensator(CompressionLevel level) {
            return appliedPair(level).map(p -> compensator.plugin().pairText(p)).orElse(null);
        }

        /** The scale s the compensator is applied at (0 without one). */
        double scale() {
            return scale;
        }

        /**
         * The pair applied to a batch at {@code level}: empty without a plugin, for a level that
         * is not a degree (or rung) of the plugin's axis, for a degree outside the plugin's range (logged once per
         * level), and where the delta is zero (m = n, s = 0, a calibration factor of 0).
         */
        Optional<CompensatorPair> appliedPair(CompressionLevel level) {
            if (compensator == null || scale == 0) {
                return Optional.empty();
            }
            Optional<CompensatorPair> pair = compensator.pairFor(level);
            if (pair.isEmpty() || pair.get().isIdentity()) {
                return Optional.empty();
            }
            CompensatorConfig cfg = compensator.plugin().config();
            if (!cfg.covers(pair.get().from()) || !cfg.covers(pair.get().to())) {
                if (uncovered.add(level)) {
                    LOG.info(
                            "Level {} runs without the compensator: pair {} is outside its degree" + " range 0..{}",
                            level,
                            pair.get(),
                            cfg.maxDegree());
                }
                return Optional.empty();
            }
            return compensator.scale(pair.get(), scale) == 0 ? Optional.empty() : pair;
        }

        /** Frees the reuse cache's states, releases the model lease, then gives the subtask's GPU back. */
        @Override
        public void close() {
            try {
                reuseCache.close();
                lease.close();
                if (student != null) {
                    student.close();
                }
            } finally {
                if (device != null) {
                    device.close();
                }
            }
        }
    }
}
