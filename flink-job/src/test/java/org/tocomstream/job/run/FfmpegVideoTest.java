package org.tocomstream.job.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import javax.sound.sampled.AudioFileFormat;
import javax.sound.sampled.AudioFormat;
import javax.sound.sampled.AudioInputStream;
import javax.sound.sampled.AudioSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.tocomstream.data.SceneImages;
import org.tocomstream.job.kafka.FramePublisher;

/**
 * FFmpeg decoding of one small committed clip per codec family (cut or encoded with the ffmpeg CLI
 * from Debian's opencv-doc example videos; src/fixtures/README.md says how), and the errors.
 */
class FfmpegVideoTest {

    @TempDir
    Path tmp;

    static Path clip(String name) {
        try {
            return Path.of(FfmpegVideoTest.class.getResource("/video/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static List<BufferedImage> decodeAll(Path file) throws IOException {
        List<BufferedImage> frames = new ArrayList<>();
        try (FfmpegVideo video = FfmpegVideo.open(file)) {
            for (BufferedImage f = video.next(); f != null; f = video.next()) {
                frames.add(f);
            }
            assertThat(video.skippedPackets())
                    .as("packets the decoder rejected")
                    .isZero();
        }
        return frames;
    }

    /** Mean absolute difference per 8-bit channel value between two images of one size. */
    static double meanAbsDiff(BufferedImage a, BufferedImage b) {
        assertThat(b.getWidth()).isEqualTo(a.getWidth());
        assertThat(b.getHeight()).isEqualTo(a.getHeight());
        long sum = 0;
        for (int y = 0; y < a.getHeight(); y++) {
            for (int x = 0; x < a.getWidth(); x++) {
                int p = a.getRGB(x, y);
                int q = b.getRGB(x, y);
                for (int shift = 0; shift < 24; shift += 8) {
                    sum += Math.abs(((p >> shift) & 0xff) - ((q >> shift) & 0xff));
                }
            }
        }
        return sum / (3.0 * a.getWidth() * a.getHeight());
    }

    static double lumaStdDev(BufferedImage image) {
        double sum = 0;
        double sq = 0;
        int n = image.getWidth() * image.getHeight();
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                int p = image.getRGB(x, y);
                double l = 0.299 * ((p >> 16) & 0xff) + 0.587 * ((p >> 8) & 0xff) + 0.114 * (p & 0xff);
                sum += l;
                sq += l * l;
            }
        }
        double mean = sum / n;
        return Math.sqrt(sq / n - mean * mean);
    }

    static BufferedImage scaled(BufferedImage image, int w, int h) {
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = out.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(image, 0, 0, w, h, null);
        g.dispose();
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        // file, codec, width, height, fps (as the container states it)
        "h264-high.mp4, h264 (avc1), 640, 480, 29.85", // box.mp4's first 4 frames, stream copy: High profile
        "divx3.avi, msmpeg4v3 (DIV3), 320, 240, 10", // vtest.avi's codec (DivX 3), re-encoded crop
        "mpeg4-xvid.avi, mpeg4 (XVID), 160, 120, 10",
        "hevc.mp4, hevc (hvc1), 160, 120, 10",
        "mjpeg.avi, mjpeg (MJPG), 160, 120, 10",
        "cinepak.avi, cinepak (cvid), 160, 120, 15", // tree.avi's codec, re-encoded smaller
    })
    void eachCodecFamilyDecodesFourFramesOfItsSize(String name, String codec, int w, int h, double fps)
            throws IOException {
        try (FfmpegVideo video = FfmpegVideo.open(clip(name))) {
            assertThat(video.codec()).isEqualTo(codec);
            // The h264 clip's average rate is 4 frames over their time span (2000/67); 0.01 covers the rounding.
            assertThat(video.frameRate()).isCloseTo(fps, org.assertj.core.data.Offset.offset(0.01));
        }
        List<BufferedImage> frames = decodeAll(clip(name));
        assertThat(frames).hasSize(4);
        for (BufferedImage f : frames) {
            assertThat(f.getWidth()).isEqualTo(w);
            assertThat(f.getHeight()).isEqualTo(h);
            // A real picture, not a blank or uniform frame (a street and a room: luma std dev about 50).
            assertThat(lumaStdDev(f)).isGreaterThan(30);
        }
        // Consecutive frames of a fixed camera look alike (about 1 to 5 levels apart; a decoder that
        // loses its reference frames drifts into smear or grey far beyond 12).
        assertThat(meanAbsDiff(frames.get(0), frames.get(1))).isLessThan(12);
    }

    @Test
    void fourDecodersOfTheSameSceneAgree() throws IOException {
        // mpeg4-xvid, hevc, mjpeg and divx3 hold the same crop of vtest.avi (divx3 at twice the size).
        BufferedImage mjpeg = decodeAll(clip("mjpeg.avi")).get(0);
        BufferedImage divx = scaled(decodeAll(clip("divx3.avi")).get(0), 160, 120);
        for (String other : new String[] {"mpeg4-xvid.avi", "hevc.mp4"}) {
            // Lossy codecs at ordinary quality: about 3 to 4 of 255 apart on average per channel.
            assertThat(meanAbsDiff(mjpeg, decodeAll(clip(other)).get(0)))
                    .as(other)
                    .isLessThan(8);
        }
        // Also the resampling of the larger frame differs: same bound.
        assertThat(meanAbsDiff(mjpeg, divx)).isLessThan(8);
    }

    @Test
    void mjpegFrameMatchesJavasOwnJpegDecoder() throws IOException {
        // An MJPEG frame is a JPEG: ImageIO decodes the first one independently, which checks the
        // colour order (RGB vs BGR) and the conversion from YUV.
        byte[] avi = Files.readAllBytes(clip("mjpeg.avi"));
        int start = indexOf(avi, new byte[] {(byte) 0xff, (byte) 0xd8, (byte) 0xff}, 0);
        int end = indexOf(avi, new byte[] {(byte) 0xff, (byte) 0xd9}, start) + 2;
        BufferedImage reference = ImageIO.read(new ByteArrayInputStream(Arrays.copyOfRange(avi, start, end)));
        BufferedImage decoded = decodeAll(clip("mjpeg.avi")).get(0);
        // Two YUV->RGB conversions (chroma upsampling, rounding) differ by about one level; red and
        // blue swapped would be about 15 apart on this frame.
        assertThat(meanAbsDiff(reference, decoded)).isLessThan(3);
    }

    private static int indexOf(byte[] data, byte[] pattern, int from) {
        outer:
        for (int i = from; i <= data.length - pattern.length; i++) {
            for (int j = 0; j < pattern.length; j++) {
                if (data[i + j] != pattern[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("pattern not found");
    }

    @Test
    void aCodecWithoutDecoderIsNamedInTheError() {
        // mpeg4-xvid.avi with its four-character code patched to ZZZZ: no decoder knows it.
        Path file = clip("unknown-codec.avi");
        assertThatThrownBy(() -> FfmpegVideo.open(file))
                .isInstanceOf(IOException.class)
                .hasMessage("cannot decode video " + file + ": codec 'none (ZZZZ)': this FFmpeg build has no decoder"
                        + " for it");
    }

    @Test
    void otherFilesFailWithOneLineNamingTheFile() throws Exception {
        Path text = Files.writeString(tmp.resolve("notes.mp4"), "not a video");
        assertThatThrownBy(() -> FfmpegVideo.open(text))
                .hasMessageStartingWith("cannot decode video " + text + ": not a media file FFmpeg reads (");
        Path missing = tmp.resolve("missing.mp4");
        assertThatThrownBy(() -> FfmpegVideo.open(missing))
                .hasMessage("cannot decode video " + missing + ": no such file");
        Path wav = tmp.resolve("sound.wav");
        AudioFormat pcm = new AudioFormat(8000, 16, 1, true, false);
        AudioSystem.write(
                new AudioInputStream(new ByteArrayInputStream(new byte[16000]), pcm, 8000),
                AudioFileFormat.Type.WAVE,
                wav.toFile());
        assertThatThrownBy(() -> FfmpegVideo.open(wav))
                .hasMessageStartingWith("cannot decode video " + wav + ": no video track (");
    }

    @Test
    void videoFramesEndOrLoopAndEncodeJpeg() throws IOException {
        try (VideoFrames once = VideoFrames.open(clip("hevc.mp4"), false)) {
            for (long seq = 0; seq < 4; seq++) {
                FramePublisher.Encoded e = once.next(0, seq);
                assertThat(e.contentType()).isEqualTo("image/jpeg");
                assertThat(SceneImages.decode(e.bytes()).getWidth()).isEqualTo(160);
            }
            assertThat(once.next(0, 4)).isNull();
        }
        try (VideoFrames looped = VideoFrames.open(clip("hevc.mp4"), true)) {
            byte[] first = looped.next(0, 0).bytes();
            for (long seq = 1; seq < 4; seq++) {
                looped.next(0, seq);
            }
            assertThat(looped.next(0, 4).bytes()).isEqualTo(first);
        }
    }

    /**
     * {@code divx3.avi} with the first 100 bytes of its second video packet zeroed: the MS-MPEG-4
     * decoder rejects that packet (FFmpeg's error concealment repairs smaller damage without
     * complaint, so only a broken frame header reaches the count).
     */
    static Path damagedClip(Path dir) throws IOException {
        byte[] bytes = Files.readAllBytes(clip("divx3.avi"));
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        int first = text.indexOf("00dc", text.indexOf("movi"));
        int second = text.indexOf("00dc", first + 4);
        assertThat(second).as("the clip's second video chunk").isPositive();
        Arrays.fill(bytes, second + 8, second + 8 + 100, (byte) 0);
        Path damaged = dir.resolve("damaged.avi");
        Files.write(damaged, bytes);
        return damaged;
    }

    @Test
    void aPacketTheDecoderRejectsIsSkippedAndCounted() throws IOException {
        Path damaged = damagedClip(tmp);
        try (FfmpegVideo video = FfmpegVideo.open(damaged)) {
            int frames = 0;
            while (video.next() != null) {
                frames++;
            }
            assertThat(frames).isEqualTo(3);
            assertThat(video.skippedPackets()).isEqualTo(1);
        }
        // Looping counts every pass: two passes, two skipped packets.
        try (VideoFrames looped = VideoFrames.open(damaged, true)) {
            for (long seq = 0; seq < 6; seq++) {
                assertThat(looped.next(0, seq)).isNotNull();
            }
            assertThat(looped.skippedPackets()).isEqualTo(2);
        }
    }
}
