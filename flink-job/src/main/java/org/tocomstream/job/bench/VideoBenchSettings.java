package org.tocomstream.job.bench;

import java.nio.file.Path;
import java.util.List;
import org.tocomstream.compress.CompressionLevel;

/**
 * The options of one {@code bench --video} run, already validated by {@link VideoBenchOptions}.
 *
 * @param video the video file
 * @param model the model directory, or null for {@code preset} with random weights or, without a
 *     preset either, the bundled demo model
 * @param preset architecture with random weights (seed {@code seed}), or null
 * @param levels {@code none} first (the reference), then the levels in the order given
 * @param streams cameras B, one frame of each per batch
 * @param start video frames skipped before the first one used
 * @param maxFrames most frames decoded after {@code start}, 0 for all
 * @param sceneCut fraction of moved patch tokens above which a reused frame is computed in full
 * @param warmup untimed batches per level first, with caches thrown away after
 * @param json where the JSON report goes; the plot goes next to it
 * @param threads libtorch intra-op threads, or null for libtorch's default
 * @param seed seed of the random weights
 * @param sweep whether the levels are the {@code --sweep-reuse} set
 */
public record VideoBenchSettings(
        Path video,
        Path model,
        String preset,
        List<CompressionLevel> levels,
        int streams,
        int start,
        int maxFrames,
        double sceneCut,
        int warmup,
        Path json,
        Integer threads,
        long seed,
        boolean sweep) {

    public VideoBenchSettings {
        levels = List.copyOf(levels);
        if (levels.isEmpty() || !levels.get(0).isNone()) {
            throw new IllegalArgumentException("the levels must start with none, the reference");
        }
    }

    /** The speed-up/agreement plot: the JSON file's name with {@code -reuse.png} for {@code .json}. */
    Path plot() {
        String name = json.getFileName().toString();
        String base = name.endsWith(".json") ? name.substring(0, name.length() - 5) : name;
        return json.resolveSibling(base + "-reuse.png");
    }
}
