package org.tocomstream.job.bench;

import java.nio.file.Path;
import java.util.List;
import org.tocomstream.compensate.CompensatorPair;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.model.VitConfig;

/**
 * The options of one {@code bench} run, already validated by {@link BenchCommand}.
 *
 * @param config the architecture, with random weights
 * @param levels levels in the order given; speedups are relative to the first
 * @param batchSizes batch sizes in the order given
 * @param iterations timed rounds per batch size
 * @param warmup untimed rounds per batch size
 * @param json where the JSON report goes; profiles are written next to it
 * @param onnx the ONNX model of the anchor, or null
 * @param threads intra-op threads for libtorch and ORT, or null for libtorch's default
 * @param profile whether to profile each level
 * @param profileBatch batch size of the profiled batches
 * @param rssBatches batches of the memory check, 0 for none
 * @param seed seed of the weights and the inputs
 * @param matmulSize side of the square matmul reference
 * @param tocomPair a Token Compensator pair whose cost to time as well, or null
 */
public record BenchSettings(
        VitConfig config,
        List<CompressionLevel> levels,
        List<Integer> batchSizes,
        int iterations,
        int warmup,
        Path json,
        Path onnx,
        Integer threads,
        boolean profile,
        int profileBatch,
        int rssBatches,
        long seed,
        int matmulSize,
        CompensatorPair tocomPair) {

    public BenchSettings {
        levels = List.copyOf(levels);
        batchSizes = List.copyOf(batchSizes);
    }
}
