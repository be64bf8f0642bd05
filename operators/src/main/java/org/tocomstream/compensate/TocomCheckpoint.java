package org.tocomstream.compensate;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import org.tocomstream.model.HostTensor;
import org.tocomstream.model.Safetensors;

/**
 * The resume state of a plugin in training, in {@code <name>.training/} beside the plugin file:
 * the step reached and the run's settings ({@value TocomTrainer#STATE_FILE}) and the optimizer's
 * moments ({@value TocomTrainer#OPTIMIZER_FILE}). The plugin file itself is the checkpoint's
 * weights.
 */
final class TocomCheckpoint {

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();

    private TocomCheckpoint() {}

    /** What a checkpoint records about the run (JSON). */
    static final class State {
        long step;
        long totalSteps;
        int batchSize;
        long seed;
        double relativeFloor;
    }

    /** The state of this run at {@code step}, for {@link #write}. */
    static State of(long step, long totalSteps, TocomTrainConfig config) {
        State state = new State();
        state.step = step;
        state.totalSteps = totalSteps;
        state.batchSize = config.batchSize();
        state.seed = config.seed();
        state.relativeFloor = config.relativeFloor();
        return state;
    }

    /**
     * Writes the optimizer moments, then the plugin, then the state, each replacing the last;
     * the state goes last and atomically, so it never names a step whose files are missing.
     */
    static void write(Path pluginFile, TokenCompensator plugin, Map<String, HostTensor> optimizer, State state)
            throws IOException {
        Path stateDir = TocomTrainer.stateDir(pluginFile);
        Files.createDirectories(stateDir);
        Safetensors.write(
                stateDir.resolve(TocomTrainer.OPTIMIZER_FILE), optimizer, Map.of("step", Long.toString(state.step)));
        plugin.save(pluginFile);
        Path tmp = stateDir.resolve(TocomTrainer.STATE_FILE + ".tmp");
        Files.writeString(tmp, GSON.toJson(state), StandardCharsets.UTF_8);
        Files.move(
                tmp,
                stateDir.resolve(TocomTrainer.STATE_FILE),
                StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
    }

    /** The state in {@code stateDir}. */
    static State read(Path stateDir) throws IOException {
        Path file = stateDir.resolve(TocomTrainer.STATE_FILE);
        try {
            State s = GSON.fromJson(Files.readString(file, StandardCharsets.UTF_8), State.class);
            if (s == null) {
                throw new IOException(file + " is empty");
            }
            return s;
        } catch (JsonParseException e) {
            throw new IOException(file + " is not valid JSON: " + e.getMessage(), e);
        }
    }

    /**
     * Refuses to resume a run with other settings than this one.
     *
     * @throws IllegalArgumentException naming both runs' steps, batch, seed, floor and plugin
     */
    static void requireSameRun(
            Path stateDir,
            State state,
            CompensatorConfig saved,
            long totalSteps,
            TocomTrainConfig config,
            CompensatorConfig pluginConfig) {
        if (state.totalSteps != totalSteps
                || state.batchSize != config.batchSize()
                || state.seed != config.seed()
                || state.relativeFloor != config.relativeFloor()
                || !saved.equals(pluginConfig)) {
            throw new IllegalArgumentException(String.format(
                    "%s holds a run of %d steps at batch %d, seed %d, relative floor"
                            + " %s, plugin %s; this run has %d steps at batch %d,"
                            + " seed %d, relative floor %s, plugin %s",
                    stateDir,
                    state.totalSteps,
                    state.batchSize,
                    state.seed,
                    state.relativeFloor,
                    saved,
                    totalSteps,
                    config.batchSize(),
                    config.seed(),
                    config.relativeFloor(),
                    pluginConfig));
        }
    }
}
