package org.tocomstream.job.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.tocomstream.compensate.CompensatorPair;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.job.cli.Command;
import org.tocomstream.job.cli.CommandFailedException;
import org.tocomstream.job.cli.CompressionOptions;
import org.tocomstream.job.cli.DeviceOption;
import org.tocomstream.job.cli.OptionParser;
import org.tocomstream.job.cli.ParsedArgs;
import org.tocomstream.job.cli.UsageException;
import org.tocomstream.model.VitConfig;

/**
 * {@code bench}: images/s of the forward pass per (batch size, compression level), interleaved so
 * that drifts of the machine hit every level alike, against a dense matmul in the same engine and
 * optionally ONNX Runtime. See {@link #help()} for the options and the JSON fields.
 */
public final class BenchCommand implements Command {

    private static final String PRESET = "--preset";
    private static final String LEVELS = "--levels";
    private static final String BATCH = "--batch";
    private static final String ITERATIONS = "--iterations";
    private static final String WARMUP = "--warmup";
    private static final String JSON = "--json";
    private static final String ONNX = "--onnx";
    private static final String THREADS = "--threads";
    private static final String PROFILE = "--profile";
    private static final String PROFILE_BATCH = "--profile-batch";
    private static final String RSS_BATCHES = "--rss-batches";
    private static final String SEED = "--seed";
    private static final String MATMUL_SIZE = "--matmul-size";
    private static final String TOCOM_PAIR = "--tocom-pair";

    static final String DEFAULT_PRESET = "deit_small_patch16_224";
    static final String DEFAULT_LEVELS = "0,4,8,12,16,evit:0.7";
    static final List<Integer> DEFAULT_BATCHES = List.of(1, 8, 32);
    static final String DEFAULT_JSON = "target/bench/bench.json";

    private final OptionParser parser = VideoBenchOptions.declare(new OptionParser("bench")
                    .value(PRESET, "NAME", "architecture preset (default " + DEFAULT_PRESET + ")")
                    .value(
                            LEVELS,
                            "LIST",
                            "levels, comma-separated (a ToMe r or level texts without commas),\nor semicolon-separated (any level text) (default "
                                    + DEFAULT_LEVELS + ")")
                    .value(BATCH, "LIST", "batch sizes (default 1,8,32)")
                    .value(ITERATIONS, "N", "timed rounds per batch size (default 10)")
                    .value(WARMUP, "N", "untimed rounds first (default 3)")
                    .value(JSON, "FILE", "JSON output (default " + DEFAULT_JSON + ")")
                    .value(ONNX, "FILE.onnx", "also time ONNX Runtime on this model (the anchor)")
                    .value(
                            THREADS,
                            "N",
                            "libtorch and ORT intra-op threads (default: libtorch's own\n"
                                    + "default, and ORT gets the same number)")
                    .flag(PROFILE, "profile a few batches per level: top libtorch ops by self time")
                    .value(PROFILE_BATCH, "N", "batch size to profile (default 8 if listed, else the first)")
                    .value(
                            RSS_BATCHES,
                            "N",
                            "memory check: N batches cycling the levels at the first batch size,\n"
                                    + "VmRSS every N/10 batches")
                    .value(SEED, "N", "seed of the random weights and inputs (default 42)")
                    .value(DeviceOption.NAME, "DEV", "cpu (default), gpu, gpuN")
                    .value(MATMUL_SIZE, "N", "side of the square matmul reference (default 2048)")
                    .value(
                            TOCOM_PAIR,
                            "M->N",
                            "also time a Token Compensator's pair M->N at level tome:N:\n"
                                    + "plain vs side branch vs merged weights, interleaved (random plugin, rank 2\n"
                                    + "per step); the table is printed and written beside --json as *-tocom.json"))
            .commonFlags();

    @Override
    public String name() {
        return "bench";
    }

    @Override
    public String summary() {
        return "images/s per batch size and compression level, vs dense matmul and ONNX Runtime";
    }

    @Override
    public String help() {
        return "usage: bench [--preset NAME] [--levels 0,4,8,12,16,evit:0.7] [--batch 1,8,32]\n"
                + "             [--iterations N] [--warmup N] [--json FILE] [--onnx FILE.onnx]\n"
                + "             [--threads N] [--profile] [--rss-batches N]\n"
                + "       bench --video FILE [--model DIR | --preset NAME] [--levels reuse:0.25,...]\n"
                + "             [--sweep-reuse] [--streams B] [--frames N] [--start S] [--scene-cut F]\n\n"
                + "Random weights (truncated normal) and random normal inputs. For each batch size:\n"
                + "warm up every level, then for each round time one batch of every level\n"
                + "in turn, so slow drifts hit all alike (ORT runs after, in its own phase, so its\n"
                + "arena does not disturb ours). Reported per (batch, level):\n"
                + "median ms/batch, images/s = B / median, GMACs/image (CostModel), achieved GFLOP/s\n"
                + "= 2 * MACs * B / median, speedup = images/s over the first level's, MACs ratio =\n"
                + "MACs(first level) / MACs(level). Then a dense matmul in the same engine: the\n"
                + "model's biggest GEMM [B*N0, D] x [D, 4D] per batch size and a square one; the\n"
                + "level-0 efficiency is the level-0 GFLOP/s over the best matmul GFLOP/s.\n"
                + "Progress goes to stderr, tables to stdout. faults/batch counts minor page faults:\n"
                + "big freshly allocated tensors fault in page by page when glibc has unmapped them\n"
                + "(NativeAllocator prevents it; -Dtocomstream.malloc.tune=false to compare).\n\n"
                + "options:\n"
                + parser.optionsHelp()
                + "\nJSON fields (schemaVersion " + BenchReport.SCHEMA_VERSION + "):\n"
                + "  machine: cores, cpuModel, os, javaVersion, javaVm, djlVersion, libtorchVersion,\n"
                + "    libtorchThreads, libtorchInteropThreads, mallocTuned (NativeAllocator applied),\n"
                + "    environment (LD_PRELOAD, MALLOC_*, OMP_*, KMP_*, MKL_* as set)\n"
                + "  parameters: preset, device, levels, batchSizes, iterations, warmup, threads\n"
                + "    (null = default), seed, onnx (null = none), matmulSize\n"
                + "  rows[]: batchSize, level, msPerBatch (median), msPerBatchMin, imagesPerSecond,\n"
                + "    gmacsPerImage, achievedGflops, speedup, macsRatio, minorFaultsPerBatch\n"
                + "    (median page faults during one batch, -1 if unknown), samplesMs[]\n"
                + "  matmul[]: batchSize (null = square), m, k, n, msMedian, gflops\n"
                + "  efficiency[]: batchSize, level0Gflops, bestMatmulGflops, efficiency\n"
                + "  ort (null without --onnx): file, version, inputName, intraOpThreads,\n"
                + "    outputFinite, rows[]: batchSize, msPerBatch, imagesPerSecond,\n"
                + "    oursImagesPerSecond, oursOverOrt, minorFaultsPerBatch, samplesMs[]\n"
                + "  profile[] (null without --profile): level, batchSize, batches, wallMsPerBatch,\n"
                + "    opsMsPerBatch, outsideOpsMsPerBatch, traceFile, topOps[]: name,\n"
                + "    callsPerBatch, selfMsPerBatch, shareOfWall\n"
                + "  rss (null without --rss-batches): batchSize, batches, series[]: batch, level,\n"
                + "    rssKiB\n"
                + VideoBenchOptions.help();
    }

    /** Whether ONNX Runtime can be loaded: the test classpath has it, the job jar does not. */
    private static boolean onnxRuntimeOnClasspath() {
        try {
            Class.forName("ai.onnxruntime.OrtEnvironment", false, BenchCommand.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    private static CompensatorPair tocomPair(ParsedArgs args) throws UsageException {
        if (!args.has(TOCOM_PAIR)) {
            return null;
        }
        String text = args.string(TOCOM_PAIR, "").trim();
        Matcher m = Pattern.compile("(\\d+)->(\\d+)").matcher(text);
        if (!m.matches()) {
            throw args.error(TOCOM_PAIR, "expected a pair like 16->0 but got '" + text + "'");
        }
        return new CompensatorPair(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
    }

    @Override
    public int run(String[] argv, PrintStream out, PrintStream err) throws UsageException, CommandFailedException {
        ParsedArgs args = parser.parseOptions(argv);
        args.requires(PROFILE_BATCH, PROFILE);
        VideoBenchOptions.requireVideoFor(args);
        Integer threads = args.has(THREADS) ? Integer.valueOf(args.positiveInt(THREADS, 1)) : null;
        long seed;
        try {
            seed = Long.parseLong(args.string(SEED, "42").trim());
        } catch (NumberFormatException e) {
            throw args.error(SEED, "expected an integer but got '" + args.string(SEED, "") + "'");
        }
        if (args.has(VideoBenchOptions.VIDEO)) {
            VideoBenchSettings video = VideoBenchOptions.parse(args, threads, seed);
            Device device = startEngine(threads, args);
            return new VideoBench(video, device, Engine.getEngine("PyTorch"), err).execute(out);
        }
        VitConfig config;
        try {
            config = VitConfig.preset(args.string(PRESET, DEFAULT_PRESET));
        } catch (IllegalArgumentException e) {
            throw args.error(PRESET, e.getMessage());
        }
        List<CompressionLevel> levels = new ArrayList<>();
        List<String> levelItems = args.has(LEVELS) ? args.levelList(LEVELS) : Arrays.asList(DEFAULT_LEVELS.split(","));
        for (String item : levelItems) {
            CompressionLevel level = CompressionOptions.parseLevel(args, LEVELS, item);
            CompressionOptions.requireFits(args, LEVELS, level, config);
            if (levels.contains(level)) {
                throw args.error(LEVELS, "level " + level + " is listed twice");
            }
            levels.add(level);
        }
        List<Integer> batches = args.positiveIntList(BATCH, DEFAULT_BATCHES);
        if (batches.stream().distinct().count() != batches.size()) {
            throw args.error(BATCH, "a batch size is listed twice in '" + args.string(BATCH, "") + "'");
        }
        int profileBatch = args.positiveInt(PROFILE_BATCH, batches.contains(8) ? 8 : batches.get(0));
        Path onnx = args.path(ONNX).orElse(null);
        if (onnx != null && !Files.isRegularFile(onnx)) {
            throw args.error(ONNX, "no such file '" + onnx + "' (export one with src/fixtures/export_onnx.py)");
        }
        if (onnx != null && !onnxRuntimeOnClasspath()) {
            throw args.error(
                    ONNX,
                    "ONNX Runtime is not in tocom-stream.jar (its natives would ride along to every"
                            + " cluster); run with java -cp"
                            + " flink-job/target/tocom-stream.jar:flink-job/target/bench-lib/*"
                            + " org.tocomstream.job.Main bench ...");
        }
        BenchSettings s = new BenchSettings(
                config,
                levels,
                batches,
                args.positiveInt(ITERATIONS, 10),
                args.nonNegativeInt(WARMUP, 3),
                args.path(JSON).orElse(Path.of(DEFAULT_JSON)),
                onnx,
                threads,
                args.has(PROFILE),
                profileBatch,
                args.positiveInt(RSS_BATCHES).orElse(0),
                seed,
                args.positiveInt(MATMUL_SIZE, 2048),
                tocomPair(args));
        Device device = startEngine(threads, args);
        return new BenchRun(s, device, Engine.getEngine("PyTorch"), err).execute(out);
    }

    /** Starts the PyTorch engine with {@code threads} intra-op threads (null: its default); the device. */
    private static Device startEngine(Integer threads, ParsedArgs args) throws UsageException {
        if (threads != null) {
            // Read once when the PyTorch engine starts; set again below in case it already has.
            System.setProperty("ai.djl.pytorch.num_threads", threads.toString());
        }
        Device device = DeviceOption.parse(args);
        Engine.getEngine("PyTorch");
        if (threads != null && JniUtils.getNumThreads() != threads) {
            JniUtils.setNumThreads(threads);
        }
        return device;
    }
}
