package org.tocomstream.compensate;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.tocomstream.compensate.TokenCompensator.Projection;
import org.tocomstream.model.HostTensor;
import org.tocomstream.model.Scalars;
import org.tocomstream.model.VitConfig;
import org.tocomstream.model.VitForward;
import org.tocomstream.model.train.AdamW;
import org.tocomstream.model.train.EpochOrder;
import org.tocomstream.model.train.Gradients;
import org.tocomstream.model.train.LrSchedule;
import org.tocomstream.model.train.TrainingData;

/**
 * One invocation of {@link TocomTrainer#train}: the plugin's parameters on the device, their
 * optimizer, the step reached, and the loop that draws a pair, takes a distillation step,
 * checkpoints, measures and reports. Lives inside the trainer's root manager.
 */
final class TocomRun {

    private final TocomTrainer trainer;
    private final TocomTrainConfig config;
    private final CompensatorConfig pluginConfig;
    private final VitConfig cfg;
    private final VitForward forward;
    private final Map<String, NDArray> params;
    private final AdamW optimizer;
    private final NDArray[][] down;
    private final NDArray[][] up;
    private final NDManager root;
    private final Engine engine;
    private final Path pluginFile;
    private final int perEpoch;
    private final long totalSteps;
    private long step;

    TocomRun(
            TocomTrainer trainer,
            VitForward forward,
            Map<String, NDArray> params,
            NDManager root,
            Engine engine,
            Path pluginFile,
            int perEpoch,
            long totalSteps) {
        this.trainer = trainer;
        this.config = trainer.config();
        this.pluginConfig = trainer.pluginConfig();
        this.cfg = forward.config();
        this.forward = forward;
        this.params = params;
        this.optimizer =
                new AdamW(params, params.keySet(), 0.9, 0.999, 1e-8, config.weightDecay(), root.newSubManager());
        this.down = projections(params, cfg.depth(), false);
        this.up = projections(params, cfg.depth(), true);
        this.root = root;
        this.engine = engine;
        this.pluginFile = pluginFile;
        this.perEpoch = perEpoch;
        this.totalSteps = totalSteps;
    }

    /** Continues from a checkpoint: the optimizer's moments after {@code steps} updates. */
    void restore(Map<String, HostTensor> optimizerState, long steps) {
        optimizer.restore(optimizerState, steps);
        step = steps;
    }

    /** Trains to the last step (see {@link TocomTrainer#train}). */
    TocomTrainer.Summary train(
            TrainingData data,
            TrainingData heldOut,
            List<CompensatorPair> heldOutPairs,
            Consumer<TocomProgress> progress)
            throws IOException {
        LrSchedule schedule =
                new LrSchedule(config.lr(), config.minLr(), Math.round(config.warmupEpochs() * perEpoch), totalSteps);
        double[][] pairWeights = config.relativeWeighting() && step < totalSteps
                ? Distillation.pairWeights(
                        Distillation.plainKlTable(forward, pluginConfig, data, root), config.relativeFloor())
                : null;
        double klPlain = Double.NaN;
        double klWith = Double.NaN;
        if (heldOut != null && !heldOutPairs.isEmpty()) {
            klPlain = Distillation.heldOutKl(forward, null, null, pluginConfig, heldOut, heldOutPairs, root);
        }
        TrainingPace pace = new TrainingPace();
        while (step < totalSteps) {
            float[] pixels = batchPixels(data);
            CompensatorPair pair = Distillation.drawPair(config.seed(), step, pluginConfig.maxDegree());
            double lr = schedule.at(step);
            pace.add(step(pixels, pair, lr, pairWeights), config.batchSize());
            step++;
            boolean epochEnd = step % perEpoch == 0;
            if (epochEnd
                    || step == totalSteps
                    || (config.checkpointEverySteps() > 0 && step % config.checkpointEverySteps() == 0)) {
                checkpoint();
            }
            boolean measured = false;
            if ((epochEnd || step == totalSteps) && !Double.isNaN(klPlain)) {
                klWith = Distillation.heldOutKl(forward, down, up, pluginConfig, heldOut, heldOutPairs, root);
                measured = true;
            }
            if (step % config.logEverySteps() == 0 || epochEnd || step == totalSteps) {
                progress.accept(pace.report(
                        (int) ((step - 1) / perEpoch) + 1,
                        config.epochs(),
                        step,
                        totalSteps,
                        pair,
                        lr,
                        measured ? klPlain : Double.NaN,
                        measured ? klWith : Double.NaN));
            }
        }
        if (pace.steps() == 0 && !Double.isNaN(klPlain)) {
            // Already complete: report the held-out numbers of the plugin on disk.
            klWith = Distillation.heldOutKl(forward, down, up, pluginConfig, heldOut, heldOutPairs, root);
        }
        return new TocomTrainer.Summary(pluginFile, step, klPlain, klWith, pace.seconds());
    }

    /** This step's images, in the epoch's shuffled order. */
    private float[] batchPixels(TrainingData data) {
        int epoch = (int) (step / perEpoch);
        int[] order = EpochOrder.permutation(data.size(), config.seed() * 1_000_003L + epoch);
        int offset = (int) (step % perEpoch) * config.batchSize();
        int perImage = cfg.inChannels() * cfg.imageSize() * cfg.imageSize();
        float[] pixels = new float[config.batchSize() * perImage];
        for (int i = 0; i < config.batchSize(); i++) {
            float[] px = data.get(order[offset + i], null).pixels();
            System.arraycopy(px, 0, pixels, i * perImage, perImage);
        }
        return pixels;
    }

    /**
     * One distillation step on {@code pair}: teacher without gradient, student with the plugin,
     * backward (weighted by the pair's weight, if any), checks, update. Returns the loss.
     */
    private float step(float[] pixels, CompensatorPair pair, double lr, double[][] pairWeights) {
        long[] shape = {config.batchSize(), cfg.inChannels(), cfg.imageSize(), cfg.imageSize()};
        try (NDManager batch = root.newSubManager()) {
            NDArray x = batch.create(FloatBuffer.wrap(pixels), new Shape(shape));
            NDArray teacher = forward.forward(x, pluginConfig.axis().level(pair.from()));
            SideBranchAdapter adapter = Distillation.trainingAdapter(down, up, pair, pluginConfig, batch);
            float value;
            try (GradientCollector gc = engine.newGradientCollector()) {
                NDArray loss = Distillation.distillationLoss(forward, x, teacher, pluginConfig.axis(), pair, adapter);
                value = loss.getFloat();
                if (!Float.isFinite(value)) {
                    throw new IllegalStateException(String.format(
                            "distillation loss is %s at step %d (pair %s); stopped" + " before updating the plugin",
                            value, step + 1, pair));
                }
                gc.backward(
                        pairWeights == null
                                ? loss
                                : loss.mul(Scalars.of(batch, (float) pairWeights[pair.from()][pair.to()])));
                String bad = Gradients.firstNonFinite(params);
                if (bad != null) {
                    throw new IllegalStateException(String.format(
                            "the gradient of %s is not finite at step %d (pair %s,"
                                    + " loss %s); stopped before updating the plugin",
                            bad, step + 1, pair, value));
                }
            }
            optimizer.update(lr);
            return value;
        }
    }

    private void checkpoint() throws IOException {
        Map<String, HostTensor> tensors = new LinkedHashMap<>();
        params.forEach((k, a) -> tensors.put(k, new HostTensor(a.getShape().getShape(), a.toFloatArray())));
        TocomCheckpoint.write(
                pluginFile,
                TokenCompensator.of(cfg, trainer.baseSha256(), pluginConfig, tensors),
                optimizer.state(),
                TocomCheckpoint.of(step, totalSteps, config));
    }

    /** The parameters of one side of every block's branch: [projection][block]. */
    private static NDArray[][] projections(Map<String, NDArray> params, int depth, boolean up) {
        NDArray[][] out = new NDArray[2][depth];
        for (Projection p : Projection.values()) {
            for (int i = 0; i < depth; i++) {
                out[p.ordinal()][i] = params.get(TokenCompensator.key(i, p, up));
            }
        }
        return out;
    }
}
