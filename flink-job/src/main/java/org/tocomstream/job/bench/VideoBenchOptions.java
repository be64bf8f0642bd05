package org.tocomstream.job.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.job.cli.CompressionOptions;
import org.tocomstream.job.cli.OptionParser;
import org.tocomstream.job.cli.ParsedArgs;
import org.tocomstream.job.cli.UsageException;
import org.tocomstream.model.VitConfig;

/**
 * The options of {@code bench --video}: declared on {@link BenchCommand}'s parser, validated here
 * into {@link VideoBenchSettings}. Errors name the flag.
 */
final class VideoBenchOptions {

    static final String VIDEO = "--video";
    static final String MODEL = "--model";
    static final String FRAMES = "--frames";
    static final String START = "--start";
    static final String STREAMS = "--streams";
    static final String SCENE_CUT = "--scene-cut";
    static final String SWEEP_REUSE = "--sweep-reuse";

    /** Levels of {@code --sweep-reuse}, after {@code none}: k from 5 % to all patch tokens. */
    static final List<String> SWEEP = List.of("0.05", "0.1", "0.15", "0.2", "0.25", "0.3", "0.4", "0.5", "0.75", "1.0");

    static final String DEFAULT_LEVELS = "reuse:0.1,reuse:0.25,reuse:0.5";
    static final int DEFAULT_STREAMS = 8;
    static final double DEFAULT_SCENE_CUT = 0.5;
    static final String DEFAULT_JSON = "target/bench/bench-video.json";

    /** Options of the image bench that mean nothing on video. */
    private static final List<String> IMAGE_ONLY = List.of(
            "--iterations", "--onnx", "--profile", "--profile-batch", "--rss-batches", "--matmul-size", "--tocom-pair");

    private VideoBenchOptions() {}

    /** The video mode's part of {@code bench --help}. */
    static String help() {
        return "\nvideo mode (--video FILE): the frames of the video (from --start, at most --frames) as B\n"
                + "cameras (--streams, default --batch else 8): camera i sees the i-th of B consecutive\n"
                + "stretches of T frames, and batch t holds frame t of every camera, so T batches of B.\n"
                + "Frames decode with FFmpeg and are preprocessed as the model's model.json says. The\n"
                + "model: --model DIR, else --preset NAME with random weights (--seed), else the\n"
                + "bundled demo model. Every level (none first, always; default\n"
                + DEFAULT_LEVELS + ") runs over the same batches, interleaved as above\n"
                + "(batch t of every level, then t + 1); the plain model's top-1 per frame is the\n"
                + "reference. A reuse level keeps one cache per camera for the whole run, so batch 0\n"
                + "is computed in full and later batches reuse (scene cuts: --scene-cut); other levels\n"
                + "run the plain model at that level. --warmup batches per level run untimed first\n"
                + "(a reuse level's after one full batch that fills its caches).\n"
                + "Reported per level: images/s = B / median ms of batches 1..T-1, and over\n"
                + "all batches; speed-up over none; top-1 agreement with the reference over all frames\n"
                + "and over the reused ones; mean patch tokens recomputed per block and frame (full\n"
                + "frames count all); frames computed in full and reused. JSON (default\n"
                + DEFAULT_JSON + ", schemaVersion " + VideoBenchReport.SCHEMA_VERSION
                + "): mode \"video\", machine (as above),\n"
                + "  video: file, name, codec, width, height, frameRate, decodedFrames, start,\n"
                + "    framesUsed, streamOffsets[]\n"
                + "  model: source, architecture, inputSize, patchTokens, randomWeights\n"
                + "  reference: distinctTop1, mostCommonTop1, mostCommonShare (the plain model's top-1\n"
                + "    over the frames: agreement says little when one class covers nearly all)\n"
                + "  parameters: device, levels, streams, batches, warmupBatches, sceneCut, threads,\n"
                + "    seed, sweepReuse\n"
                + "  timedBatches (in words), plot (the PNG beside the JSON when a reuse level ran, else\n"
                + "    null: speed-up against agreement, one labelled point per level)\n"
                + "  rows[]: level, msPerBatch (median, batches 1..T-1), imagesPerSecond,\n"
                + "    imagesPerSecondAllBatches, speedup, speedupAllBatches, agreement,\n"
                + "    logitRelativeError (mean over frames of |logits - plain| / |plain|),\n"
                + "    agreementReused (null: no frame reused), meanRecomputedPatchTokens (null for\n"
                + "    compression levels), reusedFraction, framesFull, framesReused, firstBatchFull,\n"
                + "    samplesMs[] (every batch, 0..T-1)\n";
    }

    /** Declares the video options on {@code parser}. */
    static OptionParser declare(OptionParser parser) {
        return parser.value(
                        VIDEO,
                        "FILE",
                        "time on the frames of a video instead (any codec FFmpeg decodes); see\n"
                                + "'video mode' below")
                .value(
                        MODEL,
                        "DIR",
                        "with --video: a model directory (default: --preset with random\n"
                                + "weights if given, else the bundled demo model)")
                .value(FRAMES, "N", "with --video: at most N frames from --start (default all)")
                .value(START, "S", "with --video: skip the first S frames (default 0)")
                .value(
                        STREAMS,
                        "B",
                        "with --video: cameras, one frame of each per batch (default --batch,\n" + "else "
                                + DEFAULT_STREAMS + ")")
                .value(
                        SCENE_CUT,
                        "F",
                        "with --video: fraction of moved patch tokens that makes a reused frame\n"
                                + "a scene cut, computed in full (default " + DEFAULT_SCENE_CUT + "; 1: never)")
                .flag(
                        SWEEP_REUSE,
                        "with --video: levels none,reuse:0.05,...,reuse:1.0 (k from 5 % to\n"
                                + "all); the speed-up/agreement plot goes beside --json as *-reuse.png");
    }

    /** Fails when a video option is given without {@code --video}. */
    static void requireVideoFor(ParsedArgs args) throws UsageException {
        for (String o : List.of(MODEL, FRAMES, START, STREAMS, SCENE_CUT, SWEEP_REUSE)) {
            args.requires(o, VIDEO);
        }
    }

    /** The settings of a {@code --video} run. */
    static VideoBenchSettings parse(ParsedArgs args, Integer threads, long seed) throws UsageException {
        for (String o : IMAGE_ONLY) {
            if (args.has(o)) {
                throw args.error(o, "is not used with " + VIDEO);
            }
        }
        args.atMostOne(MODEL, "--preset");
        args.atMostOne(SWEEP_REUSE, "--levels");
        Path video = args.path(VIDEO).orElseThrow();
        if (!Files.isRegularFile(video)) {
            throw args.error(VIDEO, "no such file '" + video + "'");
        }
        Path model = args.path(MODEL).orElse(null);
        if (model != null && !Files.isRegularFile(model.resolve("model.json"))) {
            throw args.error(MODEL, "no model.json in '" + model + "'");
        }
        String preset = args.string("--preset").orElse(null);
        if (preset != null) {
            try {
                VitConfig.preset(preset);
            } catch (IllegalArgumentException e) {
                throw args.error("--preset", e.getMessage());
            }
        }
        return new VideoBenchSettings(
                video,
                model,
                preset,
                levels(args),
                streams(args),
                args.nonNegativeInt(START, 0),
                args.positiveInt(FRAMES, 0),
                args.number(SCENE_CUT, DEFAULT_SCENE_CUT, f -> f > 0, "a fraction > 0 (1 or more: never)"),
                args.nonNegativeInt("--warmup", 3),
                args.path("--json").orElse(Path.of(DEFAULT_JSON)),
                threads,
                seed,
                args.has(SWEEP_REUSE));
    }

    /** {@code none} first, then the levels given (or the sweep), each once. */
    private static List<CompressionLevel> levels(ParsedArgs args) throws UsageException {
        List<String> items = new ArrayList<>();
        if (args.has(SWEEP_REUSE)) {
            SWEEP.forEach(k -> items.add("reuse:" + k));
        } else {
            items.addAll(args.has("--levels") ? args.levelList("--levels") : List.of(DEFAULT_LEVELS.split(",")));
        }
        List<CompressionLevel> levels = new ArrayList<>();
        levels.add(CompressionLevel.none());
        for (String item : items) {
            CompressionLevel level = CompressionOptions.parseLevel(args, "--levels", item);
            if (level.isNone()) {
                continue; // always there, first
            }
            if (levels.contains(level)) {
                throw args.error("--levels", "level " + level + " is listed twice");
            }
            levels.add(level);
        }
        return levels;
    }

    private static int streams(ParsedArgs args) throws UsageException {
        List<Integer> batch = args.positiveIntList("--batch", List.of());
        if (batch.size() > 1) {
            throw args.error("--batch", "takes one batch size with " + VIDEO + " (the number of --streams)");
        }
        int streams = args.positiveInt(STREAMS, batch.isEmpty() ? DEFAULT_STREAMS : batch.get(0));
        if (!batch.isEmpty() && streams != batch.get(0)) {
            throw args.error(
                    STREAMS,
                    streams + " differs from --batch " + batch.get(0) + " (a batch holds one frame"
                            + " of each stream)");
        }
        return streams;
    }
}
