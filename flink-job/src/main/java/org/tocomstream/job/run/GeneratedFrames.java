package org.tocomstream.job.run;

import org.tocomstream.data.CameraScene;
import org.tocomstream.data.SceneConfig;
import org.tocomstream.data.SceneGenerator;
import org.tocomstream.data.SceneImages;
import org.tocomstream.data.SyntheticCamera;
import org.tocomstream.job.kafka.FramePublisher;

/**
 * Frames of synthetic cameras ({@link SyntheticCamera}), one per stream, encoded as JPEG or PNG.
 * Frame {@code n} of a stream is a pure function of (config, seed, stream id, n), so {@link
 * #labelAt(String, long)} gives the true class of any published frame.
 */
public final class GeneratedFrames implements FramePublisher.FrameSupplier {

    private final SceneGenerator generator;
    private final SyntheticCamera[] cameras;
    private final boolean png;
    private final float jpegQuality;

    public GeneratedFrames(SceneConfig config, long seed, FramePublisher.Settings settings, boolean png) {
        this.generator = SceneGenerator.of(config, seed).split(SceneGenerator.Split.TEST);
        this.cameras = new SyntheticCamera[settings.streams()];
        for (int i = 0; i < cameras.length; i++) {
            cameras[i] = generator.camera(settings.streamId(i));
        }
        this.png = png;
        this.jpegQuality = SceneImages.DEFAULT_JPEG_QUALITY;
    }

    @Override
    public FramePublisher.Encoded next(int stream, long seq) {
        var frame = cameras[stream].frame(seq);
        return png
                ? new FramePublisher.Encoded(frame.png(), "image/png")
                : new FramePublisher.Encoded(frame.jpeg(jpegQuality), "image/jpeg");
    }

    /** The class name shown in frame {@code seq} of {@code streamId}. */
    String labelAt(String streamId, long seq) {
        return generator.labels().get(generator.camera(streamId).labelAt(seq));
    }

    /** {@code "scene generator seed 0, 64x64 frames, JPEG"}, with {@code ", static scene"} for a static one. */
    String describe() {
        return String.format(
                "scene generator seed %d, %dx%d frames%s, %s",
                generator.seed(),
                generator.config().width(),
                generator.config().height(),
                generator.config().cameraScene() == CameraScene.STATIC ? ", static scene" : "",
                png ? "PNG" : "JPEG");
    }
}
