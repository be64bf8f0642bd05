package org.tocomstream.job.train;

import ai.djl.Device;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.job.cli.Cli;
import org.tocomstream.job.cli.Command;
import org.tocomstream.job.cli.CommandFailedException;
import org.tocomstream.job.cli.CompressionOptions;
import org.tocomstream.job.cli.DeviceOption;
import org.tocomstream.job.cli.OptionParser;
import org.tocomstream.job.cli.ParsedArgs;
import org.tocomstream.job.cli.UsageException;
import org.tocomstream.model.HostTensor;
import org.tocomstream.model.ImageDecodeException;
import org.tocomstream.model.ImagePreprocessor;
import org.tocomstream.model.Npy;
import org.tocomstream.model.VitCheckpoint;
import org.tocomstream.model.VitConfig;
import org.tocomstream.model.VitModel;

/**
 * {@code predict}: top-K labels for image files, directories of images and pre-normalised {@code
 * .npy} batches, at a chosen compression level. See {@link #help()}.
 */
public final class PredictCommand implements Command {

    private static final String MODEL = "--model";
    private static final String PRESET = "--preset";
    private static final String WEIGHTS = "--weights";
    private static final String DEVICE = DeviceOption.NAME;
    private static final String BATCH = "--batch";
    private static final String TOP = "--top";
    private static final String LOGITS_OUT = "--logits-out";

    private final OptionParser parser = CompressionOptions.declare(new OptionParser("predict")
                    .value(MODEL, "DIR", "model directory (model.json + weights)")
                    .value(PRESET, "NAME", "architecture preset, with --weights")
                    .value(
                            WEIGHTS,
                            "FILE",
                            "safetensors weights (timm or Hugging Face names),"
                                    + " with --preset;\nlabels class_0..class_N-1"))
            .value(DEVICE, "DEV", "cpu (default), gpu, gpuN")
            .value(BATCH, "N", "inputs per forward pass (default 8)")
            .value(TOP, "K", "labels per input (default 5)")
            .value(
                    LOGITS_OUT,
                    "FILE.npy",
                    "write the logits, float32 [inputs, classes] in input order\n" + "(rows of failed inputs are NaN)")
            .commonFlags();

    @Override
    public String name() {
        return "predict";
    }

    @Override
    public String summary() {
        return "top-K labels for images, image directories and .npy batches";
    }

    @Override
    public String help() {
        return "usage: predict (--model DIR | --preset NAME --weights FILE.safetensors)\n"
                + "               [--tome R | --evit K | --schedule r1,r2,.. | --level TEXT]\n"
                + "               [--device cpu|gpu0] [--batch N] [--top K] [--logits-out FILE.npy]"
                + " INPUT...\n\n"
                + "INPUT is an image file (jpg, png, anything the preprocessor decodes), a directory\n"
                + "(every .jpg/.jpeg/.png beneath it, recursively, sorted by path), or a .npy float32\n"
                + "[B, C, H, W] batch already normalised (sample i is printed as FILE.npy[i]).\n"
                + "Images are preprocessed as the model's model.json says (timm's DeiT evaluation\n"
                + "transform by default).\n\n"
                + "Output, one line per input, in order, softmax probabilities:\n"
                + "  INPUT  label1 0.873  label2 0.051  ...\n"
                + "  INPUT  error: why\n"
                + "An input that fails does not stop the others; the exit status is then 1.\n\n"
                + "options:\n"
                + parser.optionsHelp();
    }

    @Override
    public int run(String[] argv, PrintStream out, PrintStream err) throws UsageException, CommandFailedException {
        ParsedArgs args = parser.parse(argv);
        args.atMostOne(MODEL, PRESET);
        args.atMostOne(MODEL, WEIGHTS);
        args.requires(PRESET, WEIGHTS);
        args.requires(WEIGHTS, PRESET);
        if (!args.has(MODEL) && !args.has(PRESET)) {
            throw args.error("give --model DIR, or --preset NAME with --weights FILE");
        }
        CompressionLevel level = CompressionOptions.level(args);
        int batch = args.positiveInt(BATCH, 8);
        int top = args.positiveInt(TOP, 5);
        Path logitsOut = args.path(LOGITS_OUT).orElse(null);
        VitConfig preset = null;
        if (args.has(PRESET)) {
            try {
                preset = VitConfig.preset(args.string(PRESET, ""));
            } catch (IllegalArgumentException e) {
                throw args.error(PRESET, e.getMessage());
            }
        }
        if (args.positionals().isEmpty()) {
            throw args.error("expected at least one INPUT (image, directory or .npy file)");
        }
        Device device = DeviceOption.parse(args);

        try (VitModel model = load(args, preset, device)) {
            CompressionOptions.requireFits(args, CompressionOptions.LEVEL, level, model.config());
            return predict(model, level, args.positionals(), batch, top, logitsOut, out, err);
        }
    }

    private static VitModel load(ParsedArgs args, VitConfig preset, Device device) throws CommandFailedException {
        if (preset == null) {
            Path dir = args.string(MODEL).map(Path::of).orElseThrow();
            try {
                return VitModel.load(dir, device);
            } catch (IOException | RuntimeException e) {
                throw new CommandFailedException("cannot load model from " + dir + ": " + Cli.describe(e), e);
            }
        }
        Path file = args.string(WEIGHTS).map(Path::of).orElseThrow();
        try {
            Map<String, HostTensor> weights = VitCheckpoint.load(file, preset);
            return VitModel.fromWeights(preset, weights, device);
        } catch (IOException | RuntimeException e) {
            throw new CommandFailedException(
                    "cannot load weights " + file + " for " + preset.name() + ": " + Cli.describe(e), e);
        }
    }

    private static int predict(
            VitModel model,
            CompressionLevel level,
            List<String> inputs,
            int batch,
            int top,
            Path logitsOut,
            PrintStream out,
            PrintStream err)
            throws CommandFailedException {
        VitConfig cfg = model.config();
        List<String> labels = model.spec().labels();
        int classes = cfg.numClasses();
        int sample = cfg.inChannels() * cfg.imageSize() * cfg.imageSize();
        List<PredictInputs.Item> items = PredictInputs.expand(inputs, cfg);
        ImagePreprocessor preprocessor = null;
        float[] allLogits = new float[items.size() * classes];
        Arrays.fill(allLogits, Float.NaN);
        int failed = 0;

        for (int start = 0; start < items.size(); start += batch) {
            List<PredictInputs.Item> chunk = items.subList(start, Math.min(items.size(), start + batch));
            String[] errors = new String[chunk.size()];
            List<Integer> ready = new ArrayList<>();
            float[] pixels = new float[chunk.size() * sample];
            for (int i = 0; i < chunk.size(); i++) {
                PredictInputs.Item item = chunk.get(i);
                float[] x;
                if (item.error() != null) {
                    errors[i] = item.error();
                    continue;
                } else if (item.batch() != null) {
                    x = Arrays.copyOfRange(item.batch().data(), item.index() * sample, (item.index() + 1) * sample);
                } else {
                    if (preprocessor == null) {
                        preprocessor = new ImagePreprocessor(model.spec().preprocessing());
                    }
                    try {
                        x = preprocessor.preprocess(Files.readAllBytes(item.image()));
                    } catch (ImageDecodeException | IOException | RuntimeException e) {
                        // Any failure to read or decode one file is that input's error line.
                        errors[i] = Cli.describe(e);
                        continue;
                    }
                    if (x.length != sample) {
                        errors[i] = String.format(
                                "preprocessing gave %d values but the model expects %d", x.length, sample);
                        continue;
                    }
                }
                System.arraycopy(x, 0, pixels, ready.size() * sample, sample);
                ready.add(i);
            }
            float[][] logits = forward(model, level, pixels, ready.size());
            failed += printChunk(chunk, errors, logits, labels, top, allLogits, start, classes, out);
            out.flush();
        }

        if (logitsOut != null) {
            writeLogits(logitsOut, new HostTensor(new long[] {items.size(), classes}, allLogits));
        }
        if (failed > 0) {
            err.printf("predict: %d of %d inputs failed%n", failed, items.size());
            return Cli.FAILED;
        }
        return Cli.OK;
    }

    /** The logits of the first {@code n} samples of {@code pixels}; none for n = 0. */
    private static float[][] forward(VitModel model, CompressionLevel level, float[] pixels, int n)
            throws CommandFailedException {
        VitConfig cfg = model.config();
        int sample = cfg.inChannels() * cfg.imageSize() * cfg.imageSize();
        float[][] logits = new float[0][];
        if (n > 0) {
            long[] shape = {n, cfg.inChannels(), cfg.imageSize(), cfg.imageSize()};
            try {
                logits = model.logits(Arrays.copyOf(pixels, n * sample), shape, level);
            } catch (RuntimeException e) {
                throw new CommandFailedException("forward pass failed at level " + level + ": " + Cli.describe(e), e);
            }
        }
        return logits;
    }

    /**
     * One line per input of {@code chunk}, its top labels or its error, in order; the rows of
     * {@code logits} (one per input without error) are copied into {@code allLogits}, the chunk
     * starting at input {@code start}. Returns the number of inputs that failed.
     */
    private static int printChunk(
            List<PredictInputs.Item> chunk,
            String[] errors,
            float[][] logits,
            List<String> labels,
            int top,
            float[] allLogits,
            int start,
            int classes,
            PrintStream out) {
        int failed = 0;
        int next = 0;
        for (int i = 0; i < chunk.size(); i++) {
            PredictInputs.Item item = chunk.get(i);
            if (errors[i] != null) {
                failed++;
                out.println(item.name() + "  error: " + errors[i]);
                continue;
            }
            float[] row = logits[next++];
            System.arraycopy(row, 0, allLogits, (start + i) * classes, classes);
            out.println(item.name() + formatTop(row, labels, top));
        }
        return failed;
    }

    /** {@code "  label 0.873  label 0.051"}: the top K softmax probabilities, highest first. */
    static String formatTop(float[] logits, List<String> labels, int k) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double[] p = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < logits.length; i++) {
            p[i] = Math.exp(logits[i] - max);
            sum += p[i];
        }
        Integer[] order = new Integer[logits.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
            p[i] /= sum;
        }
        Arrays.sort(order, (a, b) -> Double.compare(p[b], p[a]));
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(k, order.length); i++) {
            sb.append("  ").append(labels.get(order[i])).append(String.format(Locale.ROOT, " %.3f", p[order[i]]));
        }
        return sb.toString();
    }

    private static void writeLogits(Path file, HostTensor logits) throws CommandFailedException {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Npy.write(file, logits);
        } catch (IOException e) {
            throw new CommandFailedException("cannot write logits to " + file + ": " + Cli.describe(e), e);
        }
    }
}
