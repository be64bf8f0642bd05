package org.tocomstream.stream;

import ai.djl.Device;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tocomstream.compensate.BoundCompensator;
import org.tocomstream.compensate.CompensatorCalibration;
import org.tocomstream.compensate.CompensatorMode;
import org.tocomstream.compensate.TokenCompensator;
import org.tocomstream.model.ModelSpec;
import org.tocomstream.model.VitModel;

/**
 * Loaded models shared by the inference subtasks of one TaskManager JVM: one {@link VitModel} per
 * (model directory, device), loaded by the first {@link #acquire}, reference-counted, and closed
 * when the last {@link Lease} is closed. A model's weights are immutable and its forward pass
 * thread-safe, so subtasks share it and each keeps its own predictor.
 *
 * <pre>{@code
 * try (ModelRegistry.Lease lease = ModelRegistry.shared().acquire(modelDir, Device.cpu())) {
 *     float[][] logits = lease.model().logits(pixels, shape, level);
 * }
 * }</pre>
 *
 * <p>A lease may also carry the model's Token Compensator ({@link #acquire(Path, Device, Path)}):
 * the plugin is checked against the model (its base, or a model fine-tuned from that base with a
 * matching {@link CompensatorCalibration#forModel calibration} in its directory), bound to it in
 * side-branch mode, and shared and closed with it. The plugin file is part of the key, so the same
 * model with two different plugins (or with and without one) is loaded twice.
 *
 * <p>"Per JVM" means per class loader of this class: with DJL and this library on the TaskManager
 * class path ({@code lib/}) that is the JVM; when they come in the job jar it is per job.
 *
 * <p>Loading happens inside the registry's lock, so a second subtask asking for the same model
 * waits for the first load instead of loading it again. A failed load leaves nothing behind.
 */
public final class ModelRegistry {

    private static final Logger LOG = LoggerFactory.getLogger(ModelRegistry.class);

    private static final ModelRegistry SHARED = new ModelRegistry(ModelRegistry::loadDirectory);

    /** Loads a model for a key; {@link #loadDirectory} outside tests. */
    @FunctionalInterface
    interface Loader {
        LoadedModel load(Path dir, Device device) throws IOException;
    }

    /** A loaded model and its identity as labels report it. */
    record LoadedModel(VitModel model, String id) {}

    /** @param compensator the plugin file, absolute and normalised; null for none */
    private record Key(Path dir, Device device, Path compensator) {}

    private static final class Entry {
        final LoadedModel loaded;
        final BoundCompensator compensator;
        int references;

        Entry(LoadedModel loaded, BoundCompensator compensator) {
            this.loaded = loaded;
            this.compensator = compensator;
        }
    }

    private final Loader loader;
    private final Map<Key, Entry> entries = new HashMap<>();

    ModelRegistry(Loader loader) {
        this.loader = loader;
    }

    /** The registry of this JVM (class loader). */
    public static ModelRegistry shared() {
        return SHARED;
    }

    /**
     * A lease on the model of {@code modelDir} on {@code device}, loading it if no lease is open.
     *
     * @throws IOException if the model directory cannot be loaded
     */
    public Lease acquire(Path modelDir, Device device) throws IOException {
        return acquire(modelDir, device, null);
    }

    /**
     * A lease on the model of {@code modelDir} on {@code device} with the Token Compensator in
     * {@code compensator} bound to it, loading both if no such lease is open.
     *
     * @param compensator a plugin file, or null for none
     * @throws IOException if the model cannot be loaded, or the plugin cannot be read or belongs
     *     to another base model and the model has no calibration for it (the message names both
     *     weight hashes)
     */
    public Lease acquire(Path modelDir, Device device, Path compensator) throws IOException {
        Key key = new Key(
                modelDir.toAbsolutePath().normalize(),
                Objects.requireNonNull(device),
                compensator == null ? null : compensator.toAbsolutePath().normalize());
        synchronized (this) {
            Entry entry = entries.get(key);
            if (entry == null) {
                long start = System.nanoTime();
                LoadedModel loaded = loader.load(key.dir(), device);
                BoundCompensator bound = null;
                if (key.compensator() != null) {
                    try {
                        TokenCompensator plugin = TokenCompensator.load(key.compensator());
                        bound = plugin.bind(
                                loaded.model(),
                                CompensatorMode.SIDE_BRANCH,
                                CompensatorCalibration.forModel(plugin, key.dir())
                                        .orElse(null));
                    } catch (IOException | RuntimeException e) {
                        loaded.model().close();
                        throw e;
                    }
                }
                entry = new Entry(loaded, bound);
                entries.put(key, entry);
                LOG.info(
                        "Loaded model {} from {} on {} in {} ms{}",
                        entry.loaded.id(),
                        key.dir(),
                        device,
                        (System.nanoTime() - start) / 1_000_000,
                        bound == null
                                ? " (no compensator)"
                                : ", compensator " + bound.plugin().describe()
                                        + (bound.calibration() == null ? "" : ", calibrated for this model"));
            }
            entry.references++;
            return new Lease(key, entry.loaded, entry.compensator);
        }
    }

    /** Open leases on the model of {@code modelDir} on {@code device}; 0 when it is not loaded. */
    public int references(Path modelDir, Device device) {
        return references(modelDir, device, null);
    }

    /**
     * Open leases on the model of {@code modelDir} on {@code device} with the plugin {@code
     * compensator} (null: without one); 0 when it is not loaded.
     */
    public synchronized int references(Path modelDir, Device device, Path compensator) {
        Entry entry = entries.get(new Key(
                modelDir.toAbsolutePath().normalize(),
                device,
                compensator == null ? null : compensator.toAbsolutePath().normalize()));
        return entry == null ? 0 : entry.references;
    }

    private void release(Key key) {
        Entry toClose = null;
        synchronized (this) {
            Entry entry = entries.get(key);
            if (entry == null) {
                throw new IllegalStateException("released a model that is not loaded: " + key);
            }
            if (--entry.references == 0) {
                entries.remove(key);
                toClose = entry;
            }
        }
        if (toClose != null) {
            // The plugin's arrays live in a sub-manager of the model's: close it first.
            if (toClose.compensator != null) {
                toClose.compensator.close();
            }
            toClose.loaded.model().close();
            LOG.info("Closed model {} on {}: no subtask uses it", key.dir(), key.device());
        }
    }

    /** One subtask's hold on a shared model. Closing it twice is harmless. */
    public final class Lease implements AutoCloseable {

        private final Key key;
        private final LoadedModel loaded;
        private final BoundCompensator compensator;
        private boolean closed;

        private Lease(Key key, LoadedModel loaded, BoundCompensator compensator) {
            this.key = key;
            this.loaded = loaded;
            this.compensator = compensator;
        }

        /**
         * The model's Token Compensator, bound in side-branch mode, or null when the lease was
         * acquired without one; do not close it, close the lease.
         */
        public BoundCompensator compensator() {
            return compensator;
        }

        /** The shared model; do not close it, close the lease. */
        public VitModel model() {
            return loaded.model();
        }

        /** The device the shared model runs on. */
        public Device device() {
            return key.device();
        }

        /** {@code <architecture name>@<first 8 hex digits of the weights' SHA-256>}. */
        public String modelId() {
            return loaded.id();
        }

        @Override
        public void close() {
            synchronized (this) {
                if (closed) {
                    return;
                }
                closed = true;
            }
            release(key);
        }
    }

    /** The production loader: {@link VitModel#load} plus an identity from the weights' digest. */
    static LoadedModel loadDirectory(Path dir, Device device) throws IOException {
        String id = modelId(dir);
        return new LoadedModel(VitModel.load(dir, device), id);
    }

    /**
     * The identity labels report for the model directory {@code dir}: {@code <architecture
     * name>@<first 8 hex digits of the weights' SHA-256>}.
     */
    public static String modelId(Path dir) throws IOException {
        ModelSpec spec = ModelSpec.read(dir);
        return spec.architecture().name() + "@" + sha256Prefix(spec.weightsPath(dir));
    }

    private static String sha256Prefix(Path file) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        return HexFormat.of().formatHex(digest.digest(), 0, 4);
    }
}
