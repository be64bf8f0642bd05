package org.tocomstream.job.bench;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.tocomstream.job.cli.Cli;
import org.tocomstream.job.cli.CommandFailedException;
import org.tocomstream.model.VitConfig;

/**
 * The outside speed anchor of {@code bench}: ONNX Runtime running an exported plain ViT on the
 * CPU with all graph optimisations, a given number of intra-op threads, one inter-op thread and
 * sequential execution. Each {@link #run} includes the input copy into ORT and the output copy
 * out of it, as our own timing includes the copies into and out of libtorch.
 */
public final class OrtAnchor implements AutoCloseable {

    private final Path file;
    private final int threads;
    private final OrtEnvironment env;
    private final OrtSession session;
    private final String inputName;
    private final long[] inputShape;

    private OrtAnchor(
            Path file, int threads, OrtEnvironment env, OrtSession session, String inputName, long[] inputShape) {
        this.file = file;
        this.threads = threads;
        this.env = env;
        this.session = session;
        this.inputName = inputName;
        this.inputShape = inputShape;
    }

    /**
     * Opens {@code file} with {@code threads} intra-op threads.
     *
     * @throws CommandFailedException if ORT cannot load the file or its first input is not a
     *     4-D float tensor
     */
    static OrtAnchor open(Path file, int threads) throws CommandFailedException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        OrtSession session = null;
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            options.setIntraOpNumThreads(threads);
            options.setInterOpNumThreads(1);
            // ORT's pool spin-waits after each run by default; interleaved with our levels, those
            // spinning threads would steal the cores libtorch's next batch needs.
            options.addConfigEntry("session.intra_op.allow_spinning", "0");
            options.addConfigEntry("session.inter_op.allow_spinning", "0");
            session = env.createSession(file.toString(), options);
            Map.Entry<String, NodeInfo> input =
                    session.getInputInfo().entrySet().iterator().next();
            if (!(input.getValue().getInfo() instanceof TensorInfo info) || info.getShape().length != 4) {
                throw new CommandFailedException(String.format(
                        "%s: input '%s' is %s, expected a [B, C, H, W] float tensor",
                        file, input.getKey(), input.getValue().getInfo()));
            }
            return new OrtAnchor(file, threads, env, session, input.getKey(), info.getShape());
        } catch (OrtException | RuntimeException e) {
            closeQuietly(session);
            throw new CommandFailedException("ONNX Runtime cannot load " + file + ": " + Cli.describe(e), e);
        } catch (CommandFailedException e) {
            closeQuietly(session);
            throw e;
        }
    }

    Path file() {
        return file;
    }

    int threads() {
        return threads;
    }

    String inputName() {
        return inputName;
    }

    /** The declared input shape; -1 (or a symbolic name) for dynamic axes such as the batch. */
    long[] inputShape() {
        return inputShape.clone();
    }

    /** ORT's version string. */
    String version() {
        return env.getVersion();
    }

    /**
     * Runs one batch and returns the first output, flattened row-major.
     *
     * @throws CommandFailedException if ORT fails or the first output is not a float tensor
     */
    float[] run(float[] pixels, long[] shape) throws CommandFailedException {
        try (OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(pixels), shape);
                OrtSession.Result result = session.run(Map.of(inputName, input))) {
            if (!(result.get(0) instanceof OnnxTensor output)) {
                throw new CommandFailedException(file + ": the first output is not a tensor");
            }
            FloatBuffer values = output.getFloatBuffer();
            if (values == null) {
                throw new CommandFailedException(file + ": the first output is not float32");
            }
            float[] out = new float[values.remaining()];
            values.get(out);
            return out;
        } catch (OrtException e) {
            throw new CommandFailedException(
                    "ONNX Runtime failed on a batch of shape " + Arrays.toString(shape) + ": " + Cli.describe(e), e);
        }
    }

    /**
     * Checks that the exported model takes {@code config}'s images at every batch size of the run.
     *
     * @throws CommandFailedException if a declared axis differs or the batch axis is fixed at
     *     another size
     */
    void checkInput(VitConfig config, List<Integer> batchSizes) throws CommandFailedException {
        long[] want = {-1, config.inChannels(), config.imageSize(), config.imageSize()};
        long[] got = inputShape();
        for (int i = 1; i < 4; i++) {
            if (got[i] > 0 && got[i] != want[i]) {
                throw new CommandFailedException(String.format(
                        "%s: input shape %s does not fit %s, which takes [B, %d, %d, %d]",
                        file(), Arrays.toString(got), config.name(), want[1], want[2], want[3]));
            }
        }
        if (got[0] > 0 && batchSizes.stream().anyMatch(b -> b != got[0])) {
            throw new CommandFailedException(String.format(
                    "%s: the batch axis is fixed at %d; export with a dynamic batch axis", file(), got[0]));
        }
    }

    /** Checks that a batch of {@code b} gave one row of {@code config}'s classes per image. */
    void checkOutput(VitConfig config, float[] logits, int b) throws CommandFailedException {
        if (logits.length != (long) b * config.numClasses()) {
            throw new CommandFailedException(String.format(
                    "%s: a batch of %d gave %d outputs, expected %d x %d classes of %s",
                    file(), b, logits.length, b, config.numClasses(), config.name()));
        }
    }

    @Override
    public void close() {
        closeQuietly(session);
    }

    private static void closeQuietly(OrtSession session) {
        if (session != null) {
            try {
                session.close();
            } catch (OrtException e) {
                // Nothing useful to do on close; the process is about to report its results.
            }
        }
    }
}
