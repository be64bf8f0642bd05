import java.nio.file.Files;
import java.nio.file.Path;
import org.tocomstream.data.SceneConfig;
import org.tocomstream.data.SceneGenerator;
import org.tocomstream.data.SceneImages;
import org.tocomstream.data.SyntheticCamera;

/**
 * Writes N JPEG frames of four synthetic cameras into a flat folder, without labels: the frames
 * `ladder --generator --cameras 4` measures on (same cameras, same frames), for the unlabelled run.
 * Usage: java -cp tocom-stream.jar DumpCameraFrames.java OUT_DIR N FRAME_SIZE SEED
 */
public class DumpCameraFrames {
    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        int n = Integer.parseInt(args[1]);
        int px = Integer.parseInt(args[2]);
        long seed = Long.parseLong(args[3]);
        Files.createDirectories(out);
        SceneGenerator test = SceneGenerator.of(SceneConfig.defaults().withSize(px, px), seed)
                .split(SceneGenerator.Split.TEST);
        int streams = 4;
        int stride = Math.max(1, test.config().segmentFrames() / 4);
        for (int i = 0; i < n; i++) {
            SyntheticCamera cam = test.camera("ladder-cam-" + (i % streams));
            long seq = (long) (i / streams) * stride;
            Files.write(out.resolve(String.format("frame-%05d.jpg", i)), cam.frame(seq).jpeg(SceneImages.DEFAULT_JPEG_QUALITY));
        }
        System.out.println("wrote " + n + " frames to " + out);
    }
}
