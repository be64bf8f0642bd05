package org.tocomstream.model.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.compress.CostModel;
import org.tocomstream.compress.DiffRateSchedule;
import org.tocomstream.compress.DiffRateScheduleFile;
import org.tocomstream.model.DiffRateSoftForward;
import org.tocomstream.model.HostTensor;
import org.tocomstream.model.NativeAllocator;
import org.tocomstream.model.Safetensors;
import org.tocomstream.model.Scalars;
import org.tocomstream.model.VitConfig;
import org.tocomstream.model.VitForward;

/**
 * Learns a DiffRate schedule for a frozen model ({@code src/docs/token-reduction.md}, DiffRate
 * search): only the rate logits ({@link DiffRateRates}) train, through the simulated reduction of
 * {@link DiffRateSoftForward}. Loss per batch: KL(teacher ‖ student) at τ = 1, the teacher being
 * the same model uncompressed, plus cross-entropy when every example of the batch has a label,
 * plus {@code λ·(GMACs − target)²} on the straight-through counts, from the counts {@link Start}
 * picks. AdamW, cosine from {@code lr}
 * to {@code minLr}, no weight decay; deterministic for a seed. The schedule written is the learned
 * counts rounded up, then lowered by {@link DiffRateProjection} until it costs at most the target.
 *
 * <pre>{@code
 * DiffRateSearch.Result r = new DiffRateSearch(cfg, weights, DiffRateSearch.Config.defaults(0.08, 3, 32),
 *         Device.cpu()).search(frames, Path.of("schedule.json"), p -> System.err.println(p.line()));
 * CompressionLevel level = CompressionLevel.parse("diffrate:file=schedule.json");
 * }</pre>
 *
 * <p>Output: the schedule file ({@link DiffRateScheduleFile}), written after every epoch with the
 * target, the GMACs reached, the epochs and the last epoch's loss, and the checkpoint {@code
 * <out>.search.safetensors} (logits, optimizer moments, the step reached); calling {@link #search}
 * again with the same output and settings resumes there.
 */
public final class DiffRateSearch {

    /**
     * @param targetGmacs GMACs per image to reach, between the head-only cost and the dense cost
     * @param epochs passes over the data
     * @param batchSize images per step
     * @param lr AdamW rate at the start of the cosine
     * @param minLr rate at its end
     * @param flopsWeight λ of {@code λ·(GMACs − target)²}; 0 or below picks {@code 50 / target²}
     * @param seed shuffling seed
     * @param logEverySteps progress every N steps (and after each epoch)
     * @param start where the counts start ({@link Start})
     */
    public record Config(
            double targetGmacs,
            int epochs,
            int batchSize,
            double lr,
            double minLr,
            double flopsWeight,
            long seed,
            int logEverySteps,
            Start start) {

        public Config {
            Objects.requireNonNull(start, "start");
            if (!(targetGmacs > 0) || epochs <= 0 || batchSize <= 0 || logEverySteps <= 0) {
                throw new IllegalArgumentException(String.format(
                        "target GMACs (%s), epochs (%d), batch (%d) and log interval (%d) must be > 0",
                        targetGmacs, epochs, batchSize, logEverySteps));
            }
        }

        /**
         * lr 0.05 → 0.005, λ automatic, seed 0, progress every 20 steps, {@link Start#TARGET}: the
         * settings measured best on the demo model for a search of a few hundred steps ({@code
         * src/docs/token-reduction.md}).
         */
        public static Config defaults(double targetGmacs, int epochs, int batchSize) {
            return new Config(targetGmacs, epochs, batchSize, 0.05, 0.005, 0, 0, 20, Start.TARGET);
        }

        double lambda() {
            return flopsWeight > 0 ? flopsWeight : 50 / (targetGmacs * targetGmacs);
        }
    }

    /** Where the learned counts start. */
    public enum Start {
        /** Zero logits: every count starts near half the tokens of the model. */
        HALF,
        /**
         * Near a schedule that already costs the target: nothing pruned, and the merge count of
         * block l ≥ 1 at {@code prefix + ceil(patches · ρ^l)}, ρ the largest keep ratio per block
         * at which that schedule costs at most the target ({@link DiffRateStart}).
         */
        TARGET
    }

    /** One progress report: means since the previous one, and the GMACs of the last step. */
    public record Progress(
            int epoch,
            int epochs,
            long step,
            long totalSteps,
            double loss,
            double kl,
            double gmacs,
            double target,
            double lr,
            double imagesPerSecond) {

        /** The progress line of {@code diffrate search}. */
        public String line() {
            return String.format(
                    Locale.ROOT,
                    "epoch %d/%d step %d/%d loss %.4f kl %.4f gmacs %.4f (target %.4f) lr %.2e %.1f img/s",
                    epoch,
                    epochs,
                    step,
                    totalSteps,
                    loss,
                    kl,
                    gmacs,
                    target,
                    lr,
                    imagesPerSecond);
        }
    }

    /**
     * What a finished search produced: the schedule, its GMACs by {@link CostModel}, the last
     * epoch's mean loss, and the GMACs of the learned counts rounded up before {@link
     * DiffRateProjection} lowered them to the target.
     */
    public record Result(
            DiffRateSchedule schedule, double gmacs, double loss, long steps, double seconds, double roundedGmacs) {}

    private final VitConfig cfg;
    private final Map<String, HostTensor> weights;
    private final Config config;
    private final Device device;

    /** @param weights the model's timm-named weights, frozen */
    public DiffRateSearch(VitConfig cfg, Map<String, HostTensor> weights, Config config, Device device) {
        double dense = CostModel.of(cfg.geometry()).gmacs(CompressionLevel.none());
        if (config.targetGmacs() >= dense) {
            throw new IllegalArgumentException(String.format(
                    "target %.4f GMACs is not below the model's dense %.4f GMACs", config.targetGmacs(), dense));
        }
        this.cfg = cfg;
        this.weights = weights;
        this.config = config;
        this.device = device;
    }

    /** The checkpoint beside a schedule file. */
    public static Path checkpointOf(Path out) {
        String name = out.getFileName().toString();
        String stem = name.endsWith(".json") ? name.substring(0, name.length() - 5) : name;
        return out.resolveSibling(stem + ".search.safetensors");
    }

    /** Runs (or resumes) the search and writes the schedule to {@code out}. */
    public Result search(TrainingData data, Path out, Consumer<Progress> progress) throws IOException {
        Gradients.recordOnlyInCollectors();
        int perEpoch = data.size() / config.batchSize();
        if (perEpoch == 0) {
            throw new IllegalArgumentException(
                    String.format("batch size %d exceeds the %d images", config.batchSize(), data.size()));
        }
        long totalSteps = (long) perEpoch * config.epochs();
        LrSchedule schedule = new LrSchedule(config.lr(), config.minLr(), 0, totalSteps);
        NativeAllocator.tuneOnce();
        Engine engine = Engine.getEngine("PyTorch");
        long started = System.nanoTime();
        try (NDManager root = NDManager.newBaseManager(device, "PyTorch")) {
            Map<String, NDArray> frozen = new LinkedHashMap<>();
            weights.forEach((k, t) -> frozen.put(k, root.create(FloatBuffer.wrap(t.data()), new Shape(t.shape()))));
            VitForward teacher = new VitForward(cfg, frozen);
            DiffRateSoftForward student = new DiffRateSoftForward(cfg, frozen);
            int[][] start = config.start() == Start.TARGET
                    ? DiffRateStart.geometric(cfg.geometry(), config.targetGmacs())
                    : null;
            DiffRateRates rates = new DiffRateRates(cfg.geometry(), root.newSubManager(), start);
            AdamW optimizer = new AdamW(rates.logits(), Set.of(), 0.9, 0.999, 1e-8, 0, root.newSubManager());
            long step = resume(out, rates, optimizer, totalSteps);
            Window window = new Window();
            double epochLoss = Double.NaN;
            Window epoch = new Window();
            while (step < totalSteps) {
                double lr = schedule.at(step);
                float[] done = step(engine, root, teacher, student, rates, optimizer, batch(data, step, perEpoch), lr);
                window.add(done, config.batchSize());
                epoch.add(done, config.batchSize());
                step++;
                boolean epochEnd = step % perEpoch == 0;
                if (epochEnd || step == totalSteps) {
                    epochLoss = epoch.loss / epoch.steps;
                    epoch = new Window();
                    save(out, rates, optimizer, step, totalSteps, epochLoss, root);
                }
                if (step % config.logEverySteps() == 0 || epochEnd || step == totalSteps) {
                    int e = (int) ((step - 1) / perEpoch) + 1;
                    progress.accept(window.report(e, step, totalSteps, lr));
                    window = new Window();
                }
            }
            CostModel cost = CostModel.of(cfg.geometry());
            DiffRateSchedule found = rates.schedule(root, config.targetGmacs());
            double rounded = cost.gmacs(CompressionLevel.diffRate(rates.schedule(root)));
            double gmacs = cost.gmacs(CompressionLevel.diffRate(found));
            return new Result(found, gmacs, epochLoss, step, (System.nanoTime() - started) / 1e9, rounded);
        }
    }

    /** One update; returns {loss, kl, gmacs}. */
    private float[] step(
            Engine engine,
            NDManager root,
            VitForward teacher,
            DiffRateSoftForward student,
            DiffRateRates rates,
            AdamW optimizer,
            TrainingData.Example[] batch,
            double lr) {
        VitConfig c = cfg;
        int perImage = c.inChannels() * c.imageSize() * c.imageSize();
        float[] pixels = new float[batch.length * perImage];
        int[] labels = new int[batch.length];
        boolean labelled = true;
        for (int i = 0; i < batch.length; i++) {
            System.arraycopy(batch[i].pixels(), 0, pixels, i * perImage, perImage);
            labels[i] = batch[i].label();
            labelled &= labels[i] >= 0;
        }
        float[] out;
        try (NDManager manager = root.newSubManager()) {
            NDArray x = manager.create(
                    FloatBuffer.wrap(pixels), new Shape(batch.length, c.inChannels(), c.imageSize(), c.imageSize()));
            NDArray target = teacher.forward(x, CompressionLevel.none()).softmax(1);
            try (GradientCollector gc = engine.newGradientCollector()) {
                DiffRateRates.Draw draw = rates.draw(manager);
                NDArray logits = student.forward(x, draw.masks(0), draw.masks(1), draw.merge);
                NDArray kl = distillation(target, logits);
                NDArray loss = kl;
                if (labelled) {
                    loss = loss.add(Trainer.smoothedCrossEntropy(logits, manager.create(labels), 0));
                }
                NDArray gmacs = draw.gmacs();
                NDArray gap = gmacs.sub((float) config.targetGmacs());
                loss = loss.add(gap.mul(gap).mul(Scalars.of(manager, (float) config.lambda())));
                out = new float[] {loss.getFloat(), kl.getFloat(), gmacs.getFloat()};
                if (!Float.isFinite(out[0])) {
                    throw new IllegalStateException("search loss is " + out[0] + "; stopped before the update");
                }
                gc.backward(loss);
            }
            optimizer.update(lr);
        }
        return out;
    }

    /** Batch mean of KL(softmax(teacher) ‖ softmax(student)), teacher given as probabilities. */
    static NDArray distillation(NDArray teacherProbs, NDArray studentLogits) {
        NDArray logT = teacherProbs.add(1e-12f).log();
        return teacherProbs
                .mul(logT.sub(studentLogits.logSoftmax(1)))
                .sum(new int[] {1})
                .mean();
    }

    private TrainingData.Example[] batch(TrainingData data, long step, int perEpoch) {
        int epoch = (int) (step / perEpoch);
        int[] order = EpochOrder.permutation(data.size(), config.seed() * 1_000_003L + epoch);
        int offset = (int) (step % perEpoch) * config.batchSize();
        TrainingData.Example[] out = new TrainingData.Example[config.batchSize()];
        for (int i = 0; i < out.length; i++) {
            out[i] = data.get(order[offset + i], null);
        }
        return out;
    }

    /** Writes the schedule file and the checkpoint. */
    private void save(
            Path out, DiffRateRates rates, AdamW optimizer, long step, long totalSteps, double loss, NDManager root)
            throws IOException {
        CostModel cost = CostModel.of(cfg.geometry());
        DiffRateSchedule found = rates.schedule(root, config.targetGmacs());
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("target_gmacs", config.targetGmacs());
        info.put("gmacs", cost.gmacs(CompressionLevel.diffRate(found)));
        info.put("gmacs_rounded", cost.gmacs(CompressionLevel.diffRate(rates.schedule(root))));
        info.put("epochs", (double) step / totalSteps * config.epochs());
        info.put("loss", loss);
        info.put("steps", step);
        DiffRateScheduleFile.write(out, found, info);
        Map<String, HostTensor> tensors = new LinkedHashMap<>(optimizer.state());
        rates.logits()
                .forEach((k, a) ->
                        tensors.put("logits." + k, new HostTensor(a.getShape().getShape(), a.toFloatArray())));
        Path tmp = checkpointOf(out).resolveSibling(checkpointOf(out).getFileName() + ".tmp");
        Safetensors.write(tmp, tensors, Map.of("step", Long.toString(step), "run", runKey(totalSteps)));
        Files.move(tmp, checkpointOf(out), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    /** The step a checkpoint beside {@code out} reached, its logits and moments restored; 0 without one. */
    private long resume(Path out, DiffRateRates rates, AdamW optimizer, long totalSteps) throws IOException {
        Path file = checkpointOf(out);
        if (!Files.isRegularFile(file)) {
            return 0;
        }
        Map<String, String> meta = Safetensors.readMetadata(file);
        if (!runKey(totalSteps).equals(meta.get("run"))) {
            throw new IllegalArgumentException(String.format(
                    "%s holds another search (%s); this one is %s: delete it or choose another --out",
                    file, meta.get("run"), runKey(totalSteps)));
        }
        Map<String, HostTensor> tensors = Safetensors.read(file);
        long step = Long.parseLong(meta.get("step"));
        for (Map.Entry<String, NDArray> e : rates.logits().entrySet()) {
            HostTensor t = tensors.get("logits." + e.getKey());
            if (t == null) {
                throw new IllegalArgumentException(file + " lacks logits." + e.getKey());
            }
            e.getValue().set(FloatBuffer.wrap(t.data()));
        }
        optimizer.restore(tensors, step);
        return step;
    }

    private String runKey(long totalSteps) {
        return String.format(
                Locale.ROOT,
                "target=%s steps=%d batch=%d tokens=%d depth=%d",
                config.targetGmacs(),
                totalSteps,
                config.batchSize(),
                cfg.numTokens(),
                cfg.depth());
    }

    /** Sums between two progress reports. */
    private final class Window {
        private final long started = System.nanoTime();
        private double loss;
        private double kl;
        private double gmacs;
        private long steps;
        private long images;

        void add(float[] done, int batch) {
            loss += done[0];
            kl += done[1];
            gmacs = done[2];
            steps++;
            images += batch;
        }

        Progress report(int epoch, long step, long totalSteps, double lr) {
            double seconds = Math.max(1e-9, (System.nanoTime() - started) / 1e9);
            return new Progress(
                    epoch,
                    config.epochs(),
                    step,
                    totalSteps,
                    loss / steps,
                    kl / steps,
                    gmacs,
                    config.targetGmacs(),
                    lr,
                    images / seconds);
        }
    }
}
