package org.tocomstream.model.train;

import ai.djl.ndarray.NDArray;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import org.tocomstream.model.HostTensor;
import org.tocomstream.model.ModelSpec;
import org.tocomstream.model.Safetensors;

/**
 * A checkpoint of {@link Trainer#train}: the model directory ({@code model.json} and the weights)
 * plus, in {@value Trainer#STATE_DIR}/, the optimizer's moments ({@value Trainer#OPTIMIZER_FILE})
 * and the step reached with the run's settings ({@value Trainer#STATE_FILE}).
 */
final class TrainCheckpoint {

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();

    private TrainCheckpoint() {}

    /** What a checkpoint records about the run (JSON). */
    static final class State {
        long step;
        long totalSteps;
        int batchSize;
        String level;
        long seed;
        /** {@link Distillation#describe()} of a distilled run; null otherwise. */
        String distillation;
    }

    /** The state of this run at {@code step}, for {@link #write}. */
    static State of(long step, long totalSteps, TrainConfig config) {
        State state = new State();
        state.step = step;
        state.totalSteps = totalSteps;
        state.batchSize = config.batchSize();
        state.level = config.level().toString();
        state.seed = config.seed();
        return state;
    }

    /** Writes the model directory and the resume state; each file is replaced atomically. */
    static void write(Path outDir, ModelSpec outSpec, Map<String, NDArray> params, AdamW optimizer, State state)
            throws IOException {
        write(outDir, outSpec, params, optimizer, state, Map.of());
    }

    /**
     * As {@link #write(Path, ModelSpec, Map, AdamW, State)}, with training-only tensors (the
     * projectors of a distilled run) in {@value Distiller#FILE} beside the optimizer state, never in
     * the model's weights.
     */
    static void write(
            Path outDir,
            ModelSpec outSpec,
            Map<String, NDArray> params,
            AdamW optimizer,
            State state,
            Map<String, NDArray> extra)
            throws IOException {
        Path stateDir = outDir.resolve(Trainer.STATE_DIR);
        Files.createDirectories(stateDir);
        if (!extra.isEmpty()) {
            Map<String, HostTensor> host = new LinkedHashMap<>();
            extra.forEach((k, a) -> host.put(k, new HostTensor(a.getShape().getShape(), a.toFloatArray())));
            Path extraTmp = stateDir.resolve(Distiller.FILE + ".tmp");
            Safetensors.write(extraTmp, host, Map.of("step", Long.toString(state.step)));
            Files.move(
                    extraTmp,
                    stateDir.resolve(Distiller.FILE),
                    StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        }
        Map<String, HostTensor> weights = new LinkedHashMap<>();
        params.forEach((k, a) -> weights.put(k, new HostTensor(a.getShape().getShape(), a.toFloatArray())));
        Path weightsTmp = outDir.resolve(outSpec.weightsFile() + ".tmp");
        Safetensors.write(weightsTmp, weights, Map.of("step", Long.toString(state.step)));
        Path optTmp = stateDir.resolve(Trainer.OPTIMIZER_FILE + ".tmp");
        Safetensors.write(optTmp, optimizer.state(), Map.of("step", Long.toString(state.step)));
        outSpec.write(outDir);
        Files.move(
                weightsTmp,
                outSpec.weightsPath(outDir),
                StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
        Files.move(
                optTmp,
                stateDir.resolve(Trainer.OPTIMIZER_FILE),
                StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
        Path stateTmp = stateDir.resolve(Trainer.STATE_FILE + ".tmp");
        Files.writeString(stateTmp, GSON.toJson(state), StandardCharsets.UTF_8);
        Files.move(
                stateTmp,
                stateDir.resolve(Trainer.STATE_FILE),
                StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
    }

    /** Refuses to resume a run distilled with other settings, or distilled against not, or not against distilled. */
    static void requireDistillation(Path stateDir, State state, Distillation wanted) {
        String distillation = wanted == null ? null : wanted.describe();
        if (!java.util.Objects.equals(state.distillation, distillation)) {
            throw new IllegalArgumentException(String.format(
                    "%s holds a run with distillation %s; this run has %s",
                    stateDir,
                    state.distillation == null ? "none" : state.distillation,
                    distillation == null ? "none" : distillation));
        }
    }

    /** The state in {@code stateDir}. */
    static State read(Path stateDir) throws IOException {
        try {
            State s = GSON.fromJson(
                    Files.readString(stateDir.resolve(Trainer.STATE_FILE), StandardCharsets.UTF_8), State.class);
            if (s == null) {
                throw new IOException(stateDir.resolve(Trainer.STATE_FILE) + " is empty");
            }
            return s;
        } catch (JsonParseException e) {
            throw new IOException(stateDir.resolve(Trainer.STATE_FILE) + " is not valid JSON: " + e.getMessage(), e);
        }
    }
}
