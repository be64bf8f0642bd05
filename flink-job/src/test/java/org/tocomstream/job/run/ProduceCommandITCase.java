package org.tocomstream.job.run;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.tocomstream.data.CameraScene;
import org.tocomstream.data.SceneConfig;
import org.tocomstream.data.SceneGenerator;
import org.tocomstream.data.SceneImages;
import org.tocomstream.data.SyntheticCamera;
import org.tocomstream.job.cli.Cli;
import org.tocomstream.job.testutils.CommandLines;
import org.tocomstream.job.testutils.CommandLines.Result;
import org.tocomstream.job.testutils.KafkaBrokerExtension;
import org.tocomstream.stream.WireFormat;

/** {@code produce} against a real broker: images, a video and the generator, several streams. */
class ProduceCommandITCase {

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @TempDir
    Path tmp;

    private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        var h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static String key(ConsumerRecord<byte[], byte[]> r) {
        return new String(r.key(), StandardCharsets.UTF_8);
    }

    /** Each stream's frame-seq values in the order they were read (one partition per stream). */
    private static Map<String, List<Long>> seqByStream(List<ConsumerRecord<byte[], byte[]>> records) {
        return records.stream()
                .sorted(Comparator.comparingInt(ConsumerRecord<byte[], byte[]>::partition)
                        .thenComparingLong(ConsumerRecord::offset))
                .collect(Collectors.groupingBy(
                        ProduceCommandITCase::key,
                        Collectors.mapping(r -> Long.parseLong(header(r, WireFormat.FRAME_SEQ)), Collectors.toList())));
    }

    @Test
    void imagesArePublishedUnchangedToEveryStreamWithWireFormatHeaders() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("images"));
        SceneGenerator scenes = SceneGenerator.of(SceneConfig.defaults(), 1);
        byte[] a = scenes.sample(0).png();
        byte[] b = SceneImages.jpeg(scenes.sample(1).image());
        Files.write(dir.resolve("a.png"), a);
        Files.write(dir.resolve("b.jpg"), b);
        Files.writeString(dir.resolve("notes.txt"), "skipped");

        long before = System.currentTimeMillis();
        Result r = CommandLines.run(
                "produce",
                "--bootstrap",
                KAFKA.bootstrapServers(),
                "--topic",
                "img",
                "--images",
                dir.toString(),
                "--streams",
                "2",
                "--fps",
                "50",
                "--partitions",
                "2");

        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).contains("published 4 frames of 2 stream(s) to img");
        List<ConsumerRecord<byte[], byte[]>> got =
                KAFKA.read("img", 4, Duration.ofSeconds(30), Duration.ofMillis(300), false);
        assertThat(got).hasSize(4);
        assertThat(seqByStream(got))
                .containsOnly(Map.entry("cam-0", List.of(0L, 1L)), Map.entry("cam-1", List.of(0L, 1L)));
        for (ConsumerRecord<byte[], byte[]> c : got) {
            boolean first = header(c, WireFormat.FRAME_SEQ).equals("0");
            assertThat(c.value()).isEqualTo(first ? a : b);
            assertThat(header(c, WireFormat.CONTENT_TYPE)).isEqualTo(first ? "image/png" : "image/jpeg");
            long ts = Long.parseLong(header(c, WireFormat.CAPTURE_TS));
            assertThat(ts).isEqualTo(c.timestamp()).isBetween(before, System.currentTimeMillis());
        }
    }

    @Test
    void generatorFramesAtAGivenCountAndRate() throws Exception {
        long start = System.nanoTime();
        Result r = CommandLines.run(
                "produce",
                "--bootstrap",
                KAFKA.bootstrapServers(),
                "--topic",
                "gen",
                "--generator",
                "--streams",
                "3",
                "--count",
                "4",
                "--fps",
                "10",
                "--stream-prefix",
                "s");
        double seconds = (System.nanoTime() - start) / 1e9;

        assertThat(r.status()).as(r.err()).isZero();
        List<ConsumerRecord<byte[], byte[]>> got =
                KAFKA.read("gen", 12, Duration.ofSeconds(30), Duration.ofMillis(300), false);
        assertThat(seqByStream(got))
                .containsOnlyKeys("s0", "s1", "s2")
                .allSatisfy((k, seqs) -> assertThat(seqs).containsExactly(0L, 1L, 2L, 3L));
        // 4 frames per stream at 10 fps: the last one is due at 0.3 s or later.
        assertThat(seconds).isGreaterThan(0.3);
        for (ConsumerRecord<byte[], byte[]> c : got) {
            assertThat(SceneImages.decode(c.value()).getWidth()).isEqualTo(64);
            assertThat(header(c, WireFormat.CONTENT_TYPE)).isEqualTo("image/jpeg");
        }
    }

    @Test
    void aStaticSceneGeneratorPublishesTheFixedCamerasFrames() throws Exception {
        Result r = CommandLines.run(
                "produce",
                "--bootstrap",
                KAFKA.bootstrapServers(),
                "--topic",
                "static",
                "--generator",
                "--scene",
                "static",
                "--png",
                "--count",
                "3",
                "--fps",
                "0");

        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.err()).contains("static scene");
        List<ConsumerRecord<byte[], byte[]>> got =
                KAFKA.read("static", 3, Duration.ofSeconds(30), Duration.ofMillis(300), false);
        SyntheticCamera cam = SceneGenerator.of(SceneConfig.defaults().withCameraScene(CameraScene.STATIC), 0)
                .split(SceneGenerator.Split.TEST)
                .camera("cam-0");
        assertThat(got).hasSize(3);
        for (ConsumerRecord<byte[], byte[]> c : got) {
            assertThat(c.value())
                    .isEqualTo(cam.frame(Long.parseLong(header(c, WireFormat.FRAME_SEQ)))
                            .png());
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "h264-high.mp4, 640",
        "divx3.avi, 320",
        "mpeg4-xvid.avi, 160",
        "hevc.mp4, 160",
        "mjpeg.avi, 160",
        "cinepak.avi, 160"
    })
    void videoFramesOfEachCodecFamilyAreDecodedWithFfmpegAndSentAsJpeg(String clip, int width) throws Exception {
        Path video = FfmpegVideoTest.clip(clip);
        String topic = "vid-" + clip.replace('.', '-');

        Result r = CommandLines.run(
                "produce",
                "--bootstrap",
                KAFKA.bootstrapServers(),
                "--topic",
                topic,
                "--video",
                video.toString(),
                "--streams",
                "2",
                "--fps",
                "0");

        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out())
                .contains("published 8 frames of 2 stream(s)")
                .contains(", 0 undecodable video packet(s) skipped");
        List<ConsumerRecord<byte[], byte[]>> got =
                KAFKA.read(topic, 8, Duration.ofSeconds(30), Duration.ofMillis(300), false);
        assertThat(seqByStream(got))
                .containsOnly(Map.entry("cam-0", List.of(0L, 1L, 2L, 3L)), Map.entry("cam-1", List.of(0L, 1L, 2L, 3L)));
        List<Integer> widths = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> c : got) {
            assertThat(header(c, WireFormat.CONTENT_TYPE)).isEqualTo("image/jpeg");
            widths.add(SceneImages.decode(c.value()).getWidth());
        }
        assertThat(widths).containsOnly(width);
    }

    @Test
    void undecodablePacketsAreSkippedAndCountedInTheSummary() throws Exception {
        Path damaged = FfmpegVideoTest.damagedClip(tmp);

        Result r = CommandLines.run(
                "produce",
                "--bootstrap",
                KAFKA.bootstrapServers(),
                "--topic",
                "vid-damaged",
                "--video",
                damaged.toString(),
                "--fps",
                "0");

        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out())
                .contains("published 3 frames of 1 stream(s)")
                .contains(", 1 undecodable video packet(s) skipped");
        assertThat(KAFKA.read("vid-damaged", 3, Duration.ofSeconds(30), Duration.ofMillis(300), false))
                .hasSize(3);
    }

    @Test
    void aVideoIsPublishedAtItsOwnFrameRateUnlessFpsIsGiven() throws Exception {
        Path video = FfmpegVideoTest.clip("hevc.mp4");

        Result r = CommandLines.run(
                "produce", "--bootstrap", KAFKA.bootstrapServers(), "--topic", "vid-rate", "--video", video.toString());

        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.err()).contains("1 stream(s) x 10.0 fps from video " + video + " (hevc (hvc1), 10.0 fps)");
        assertThat(r.out()).contains("published 4 frames of 1 stream(s)");
    }

    @Test
    void unreadableVideoFailsWithOneLine() throws Exception {
        Path bogus = Files.writeString(tmp.resolve("bogus.mp4"), "not a video");
        Result r = CommandLines.run("produce", "--bootstrap", KAFKA.bootstrapServers(), "--video", bogus.toString());
        assertThat(r.status()).isEqualTo(Cli.FAILED);
        assertThat(r.err()).startsWith("produce: error: ").contains("bogus.mp4");
    }
}
