package org.tocomstream.job.ladder;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.tocomstream.data.Sample;
import org.tocomstream.data.SceneGenerator;
import org.tocomstream.data.SceneImages;
import org.tocomstream.data.SyntheticCamera;
import org.tocomstream.job.cli.Cli;
import org.tocomstream.job.cli.CommandFailedException;
import org.tocomstream.job.run.VideoFrames;

/**
 * The frames {@code ladder} measures on, kept encoded (JPEG/PNG bytes, as they arrive on the frames
 * topic) so that the speed measurement decodes them as the job does: an image folder with or
 * without class directories, the scene generator's TEST split encoded as JPEG (still scenes, or
 * the frames of its synthetic cameras), a frames topic read once, or a video as cameras.
 *
 * @param encoded the frames' bytes
 * @param labels each frame's class index in the model's labels, or null without labels
 * @param description where the frames came from, for the JSON and the table
 * @param streams each frame's camera (stream id) when the frames are camera sequences (each
 *     camera's frames in order in the list), else null
 * @param seqs each frame's sequence number in its camera (with {@code streams}), else null
 */
record LadderFrames(List<byte[]> encoded, int[] labels, String description, String[] streams, long[] seqs) {

    LadderFrames {
        encoded = List.copyOf(encoded);
        if (encoded.isEmpty()) {
            throw new IllegalArgumentException(description + ": no frames");
        }
        if ((streams == null) != (seqs == null)
                || streams != null && (streams.length != encoded.size() || seqs.length != encoded.size())) {
            throw new IllegalArgumentException(description + ": a stream and a sequence number per frame");
        }
    }

    /** Frames that are not camera sequences. */
    LadderFrames(List<byte[]> encoded, int[] labels, String description) {
        this(encoded, labels, description, null, null);
    }

    /** Whether the frames are camera sequences, so token reuse can be measured on them. */
    boolean sequences() {
        return streams != null;
    }

    int size() {
        return encoded.size();
    }

    boolean labelled() {
        return labels != null;
    }

    /** Up to {@code max} scenes of the generator's TEST split, JPEG-encoded, with their labels. */
    static LadderFrames generator(SceneGenerator generator, int max, String description) {
        SceneGenerator test = generator.split(SceneGenerator.Split.TEST);
        List<byte[]> out = new ArrayList<>(max);
        int[] labels = new int[max];
        for (int i = 0; i < max; i++) {
            Sample s = test.sample(i);
            out.add(SceneImages.jpeg(s.image()));
            labels[i] = s.label();
        }
        return new LadderFrames(out, labels, description);
    }

    /**
     * {@code max} frames of {@code streams} synthetic cameras of the generator's TEST split
     * (moving objects over changing backgrounds, as {@code run} and {@code loadtest} publish them,
     * or over one fixed background per camera when the generator's scene is static),
     * JPEG-encoded, labelled by the class each frame shows. Taken from the cameras in turn, every
     * {@code segmentFrames / 4}-th frame of each, so that every position of an object's crossing
     * and, over the segments, every class is seen; with {@code consecutive} every frame instead, as
     * a camera sends them (token reuse is measured on consecutive frames). The cameras are named
     * {@code ladder-cam-i}, so a stream id of the job's own cameras ({@code cam-i}) never shows the
     * same frames.
     */
    static LadderFrames cameras(
            SceneGenerator generator, int streams, int max, boolean consecutive, String description) {
        SceneGenerator test = generator.split(SceneGenerator.Split.TEST);
        SyntheticCamera[] cams = new SyntheticCamera[streams];
        for (int c = 0; c < streams; c++) {
            cams[c] = test.camera("ladder-cam-" + c);
        }
        int stride = consecutive ? 1 : Math.max(1, test.config().segmentFrames() / 4);
        List<byte[]> out = new ArrayList<>(max);
        int[] labels = new int[max];
        String[] ids = new String[max];
        long[] seqs = new long[max];
        for (int i = 0; i < max; i++) {
            SyntheticCamera cam = cams[i % streams];
            long seq = (long) (i / streams) * stride;
            out.add(cam.frame(seq).jpeg(SceneImages.DEFAULT_JPEG_QUALITY));
            labels[i] = cam.labelAt(seq);
            ids[i] = "ladder-cam-" + (i % streams);
            seqs[i] = seq;
        }
        return new LadderFrames(out, labels, description, ids, seqs);
    }

    /** {@code size} frames of {@code cameras} cameras of a video, taken from the cameras in turn. */
    static LadderFrames video(Path file, int cameras, int size, PrintStream err) throws CommandFailedException {
        int perCamera = (size + cameras - 1) / cameras;
        err.printf("ladder: decoding %s as %d camera(s) of %d frames%n", file, cameras, perCamera);
        List<List<byte[]>> byCamera;
        try {
            byCamera = VideoFrames.cameras(file, cameras, perCamera);
        } catch (IOException e) {
            throw new CommandFailedException("cannot read --video: " + Cli.describe(e), e);
        }
        List<byte[]> encoded = new ArrayList<>(size);
        String[] streams = new String[size];
        long[] seqs = new long[size];
        for (int i = 0; i < size; i++) {
            encoded.add(byCamera.get(i % cameras).get(i / cameras));
            streams[i] = "video-cam-" + (i % cameras);
            seqs[i] = i / cameras;
        }
        String what = String.format(
                "%d frames of video %s as %d camera(s), consecutive (unlabelled)", size, file.getFileName(), cameras);
        return new LadderFrames(encoded, null, what, streams, seqs);
    }

    /**
     * Up to {@code max} images of {@code root}, taken one directory at a time in turn (each
     * directory's images sorted by path), so a limit below the folder's size still covers every
     * class rather than the first few: with {@code modelLabels}
     * labelled by their class directory {@code root/<class>/<image>}, which must be one of the
     * model's labels; without, every image at any depth, unlabelled.
     *
     * @throws IOException naming the folder when it is missing, holds no images, or names an
     *     unknown class
     */
    static LadderFrames folder(Path root, List<String> modelLabels, int max) throws IOException {
        if (!Files.isDirectory(root)) {
            throw new IOException("image folder " + root + " does not exist or is not a directory");
        }
        List<Path> files;
        try (Stream<Path> s = Files.walk(root, modelLabels == null ? Integer.MAX_VALUE : 2)) {
            files = s.filter(LadderFrames::isImage)
                    .filter(p ->
                            modelLabels == null || p.getParent().getParent().equals(root))
                    .sorted()
                    .collect(Collectors.toList());
        }
        files = roundRobinByDirectory(files, max);
        if (files.isEmpty()) {
            throw new IOException("image folder " + root + " holds no .jpg/.jpeg/.png images"
                    + (modelLabels == null ? "" : " in class sub-directories"));
        }
        List<byte[]> out = new ArrayList<>(files.size());
        int[] labels = modelLabels == null ? null : new int[files.size()];
        for (int i = 0; i < files.size(); i++) {
            Path f = files.get(i);
            out.add(Files.readAllBytes(f));
            if (labels != null) {
                String cls = f.getParent().getFileName().toString();
                labels[i] = modelLabels.indexOf(cls);
                if (labels[i] < 0) {
                    throw new IOException(String.format(
                            "image folder %s has class directory '%s' that is not among the model's labels %s",
                            root, cls, modelLabels));
                }
            }
        }
        String what = String.format(
                Locale.ROOT, "%d images of %s%s", files.size(), root, labels == null ? " (unlabelled)" : "");
        return new LadderFrames(out, labels, what);
    }

    private static boolean isImage(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return Files.isRegularFile(p) && (n.endsWith(".jpg") || n.endsWith(".jpeg") || n.endsWith(".png"));
    }

    /** Up to {@code max} of the sorted {@code files}, one directory after the other in turn. */
    static List<Path> roundRobinByDirectory(List<Path> files, int max) {
        Map<Path, ArrayDeque<Path>> byDirectory = new LinkedHashMap<>();
        for (Path f : files) {
            byDirectory.computeIfAbsent(f.getParent(), d -> new ArrayDeque<>()).add(f);
        }
        List<Path> out = new ArrayList<>(Math.min(max, files.size()));
        while (out.size() < max && !byDirectory.isEmpty()) {
            for (Iterator<ArrayDeque<Path>> it = byDirectory.values().iterator(); it.hasNext() && out.size() < max; ) {
                ArrayDeque<Path> queue = it.next();
                out.add(queue.poll());
                if (queue.isEmpty()) {
                    it.remove();
                }
            }
        }
        return out;
    }
}
