package org.tocomstream.job.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.tocomstream.job.testutils.FrameRecords.header;
import static org.tocomstream.job.testutils.FrameRecords.text;
import static org.tocomstream.job.testutils.FrameRecords.utf8;
import static org.tocomstream.testutils.TestImages.fourComponentJpeg;
import static org.tocomstream.testutils.TestImages.pngChunk;
import static org.tocomstream.testutils.TestImages.uniformRgba16Png;
import static org.tocomstream.testutils.TestImages.withAdobeMarker;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.BiFunction;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import javax.imageio.ImageIO;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.tocomstream.data.SceneConfig;
import org.tocomstream.data.SceneGenerator;
import org.tocomstream.job.testutils.KafkaBrokerExtension;
import org.tocomstream.job.testutils.TestModels;
import org.tocomstream.stream.DecodeConfig;
import org.tocomstream.stream.LabelRecord;
import org.tocomstream.stream.WireFormat;

/**
 * The short, in-process form of the hostile-input run: the whole job ({@link VitLabelStage} with a
 * random-weight {@code vit_demo}) against a real KRaft broker, fed a seeded mix of valid JPEG and
 * PNG frames, mutations of them (truncation, bit flips, header rewrites, huge dimensions, 16-bit
 * and 4-component images), header fuzz, odd keys and values up to and above the value cap. With no
 * restart strategy, the job must finish, and every record must get exactly one answer: a label or
 * a dead letter with a reason.
 */
class HostileInputITCase {

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension(
            // Frames up to 10 MB reach the job, as on a broker configured for large camera frames.
            Map.of("transaction.max.timeout.ms", "60000", "message.max.bytes", "10485760"));

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1)
            .setNumberSlotsPerTaskManager(2)
            .build());

    private static final long SEED = 16;
    private static final int RECORDS = 600;
    private static final int CAP = (int) DecodeConfig.DEFAULT_MAX_VALUE_BYTES;
    private static final String TOPIC = "hostile-frames";
    private static final String ID = "x-hostile-id";
    /** The colour of the large 16-bit PNGs (its bytes 0x12, 0x43, ... as before the helper was shared). */
    private static final int[] RGBA16 = {0x1243, 0x74a5, 0xd607, 0x3869};

    @TempDir
    static Path tmp;

    private static Path modelDir;

    @BeforeAll
    static void model() throws Exception {
        modelDir = TestModels.randomVitDemo(tmp.resolve("model"));
    }

    /** What a kind of record must end as. */
    private enum Expect {
        LABEL,
        DEAD,
        EITHER
    }

    /** One kind of record: its name, what it must end as, and how to make one. */
    private record Kind(String name, Expect expect, BiFunction<Integer, Random, ProducerRecord<byte[], byte[]>> make) {}

    /** A produced record: its id (index), its kind, the (stream, seq) a label of it would carry. */
    private record Sent(int id, Kind kind, String labelKey) {}

    @Test
    void everyHostileRecordIsAnsweredExactlyOnceAndTheJobDoesNotFail() throws Exception {
        KAFKA.createTopic(TOPIC, 2);
        KAFKA.createTopic("hostile-labels", 2);
        KAFKA.createTopic("hostile-dlq", 1);
        List<Sent> sent = new ArrayList<>();
        KAFKA.produce(records(sent), Map.of("max.request.size", 4 << 20));

        Configuration noRestart = new Configuration();
        noRestart.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(noRestart);
        StreamPipeline.of(conf(), new VitLabelStage()).build(env);
        ManagementFactory.getMemoryPoolMXBeans().forEach(MemoryPoolMXBean::resetPeakUsage);
        long started = System.nanoTime();
        env.execute("hostile");
        long heapPeak = ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(pool -> pool.getType() == MemoryType.HEAP)
                .mapToLong(pool -> pool.getPeakUsage().getUsed())
                .sum();
        System.out.printf(
                "hostile input: job ran %.1f s; this JVM's heap peak (broker, cluster and job; sum of pool peaks) %d MB%n",
                (System.nanoTime() - started) / 1e9, heapPeak >> 20);

        Map<Integer, String> positionOf = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r :
                KAFKA.read(TOPIC, RECORDS, Duration.ofSeconds(30), Duration.ZERO, false)) {
            positionOf.put(Integer.parseInt(header(r, ID)), r.topic() + "-" + r.partition() + "@" + r.offset());
        }
        assertThat(positionOf).hasSize(RECORDS);
        List<ConsumerRecord<byte[], byte[]>> dead =
                KAFKA.read("hostile-dlq", RECORDS, Duration.ofSeconds(5), Duration.ZERO, true);
        List<ConsumerRecord<byte[], byte[]>> labels = KAFKA.read(
                "hostile-labels", RECORDS - dead.size(), Duration.ofSeconds(30), Duration.ofMillis(500), true);
        check(sent, positionOf, labels, dead);
    }

    private static Configuration conf() {
        Configuration c = new Configuration();
        c.set(StreamJobOptions.BOOTSTRAP_SERVERS, KAFKA.bootstrapServers());
        c.set(StreamJobOptions.FRAMES_TOPIC, TOPIC);
        c.set(StreamJobOptions.LABELS_TOPIC, "hostile-labels");
        c.set(StreamJobOptions.DEAD_LETTER_TOPIC, "hostile-dlq");
        c.set(StreamJobOptions.GROUP_ID, "hostile");
        c.set(StreamJobOptions.BOUNDED, true);
        c.set(StreamJobOptions.PARALLELISM, 2);
        c.set(StreamJobOptions.MODEL_DIR, modelDir.toString());
        c.set(StreamJobOptions.DEVICE, "cpu");
        c.set(StreamJobOptions.MAX_BATCH, 8);
        c.set(StreamJobOptions.MAX_DELAY, Duration.ofMillis(20));
        c.set(StreamJobOptions.DELIVERY_GUARANTEE, DeliveryGuarantee.EXACTLY_ONCE);
        c.set(StreamJobOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(500));
        c.set(StreamJobOptions.TRANSACTION_TIMEOUT, Duration.ofSeconds(30));
        c.set(StreamJobOptions.TRANSACTIONAL_ID_PREFIX, "hostile");
        return c;
    }

    private static void check(
            List<Sent> sent,
            Map<Integer, String> positionOf,
            List<ConsumerRecord<byte[], byte[]>> labels,
            List<ConsumerRecord<byte[], byte[]>> dead) {
        Map<String, Sent> byLabelKey = new HashMap<>();
        Map<String, Sent> byPosition = new HashMap<>();
        for (Sent s : sent) {
            if (s.labelKey() != null) {
                assertThat(byLabelKey.put(s.labelKey(), s))
                        .as("label keys unique by construction")
                        .isNull();
            }
            byPosition.put(positionOf.get(s.id()), s);
        }
        Map<Integer, List<String>> answers = new TreeMap<>();
        Map<String, Integer> reasons = new TreeMap<>();
        for (ConsumerRecord<byte[], byte[]> r : labels) {
            LabelRecord l = LabelRecord.fromJson(r.value());
            assertThat(l.stream()).isEqualTo(text(r.key()));
            assertThat(l.labels()).as("label of %s#%d", l.stream(), l.seq()).isNotEmpty();
            // Capture times are now, in seconds or far ahead: an untrusted one ages from the read.
            assertThat(l.ageMs()).as("age of %s#%d", l.stream(), l.seq()).isBetween(0L, 120_000L);
            Sent s = byLabelKey.get(l.stream() + "#" + l.seq());
            assertThat(s)
                    .as("a label for a record that was sent: %s#%d", l.stream(), l.seq())
                    .isNotNull();
            answers.computeIfAbsent(s.id(), k -> new ArrayList<>()).add("label");
        }
        int withoutValue = 0;
        for (ConsumerRecord<byte[], byte[]> r : dead) {
            String reason = header(r, WireFormat.ERROR);
            assertThat(reason).as("dead letter reason").isNotBlank();
            String position = reason.substring(0, Math.max(0, reason.indexOf(": ")));
            Sent s = byPosition.get(position);
            assertThat(s).as("dead letter of a sent record: %s", reason).isNotNull();
            if (header(r, ID) != null) {
                assertThat(header(r, ID)).isEqualTo(Integer.toString(s.id()));
            }
            if (header(r, WireFormat.ORIGINAL_SIZE) != null) {
                // Too large for the dead-letter sink (above 1 MiB): written without its value.
                assertThat(r.value()).isNull();
                assertThat(header(r, WireFormat.ORIGINAL_TOPIC) + "-" + header(r, WireFormat.ORIGINAL_PARTITION) + "@"
                                + header(r, WireFormat.ORIGINAL_OFFSET))
                        .isEqualTo(position);
                withoutValue++;
            }
            answers.computeIfAbsent(s.id(), k -> new ArrayList<>()).add("dead: " + reason);
            reasons.merge(reasonClass(reason.substring(position.length() + 2)), 1, Integer::sum);
        }
        Map<String, int[]> byKind = new TreeMap<>();
        List<String> wrong = new ArrayList<>();
        for (Sent s : sent) {
            List<String> a = answers.getOrDefault(s.id(), List.of());
            if (a.size() != 1) {
                wrong.add(String.format(
                        "record %d (%s, %s): %d answers %s",
                        s.id(), s.kind().name(), positionOf.get(s.id()), a.size(), a));
                continue;
            }
            boolean labelled = a.get(0).equals("label");
            byKind.computeIfAbsent(s.kind().name(), k -> new int[2])[labelled ? 0 : 1]++;
            Expect e = s.kind().expect();
            if ((e == Expect.LABEL && !labelled) || (e == Expect.DEAD && labelled)) {
                wrong.add(String.format(
                        "record %d (%s): expected %s, got %s", s.id(), s.kind().name(), e, a));
            }
        }
        StringBuilder kinds = new StringBuilder();
        byKind.forEach((k, v) -> kinds.append(String.format(" %s=%d/%d", k, v[0], v[1])));
        System.out.printf(
                "hostile input: %d records, %d labelled, %d dead-lettered (%d without value) %s%n  by kind (labelled/dead):%s%n",
                sent.size(), labels.size(), dead.size(), withoutValue, reasons, kinds);
        assertThat(wrong).as("records not answered exactly once as expected").isEmpty();
        assertThat(labels.size() + dead.size()).isEqualTo(RECORDS);
        assertThat(withoutValue)
                .as("the two 1.5 MB records' dead letters lost their value")
                .isEqualTo(2);
    }

    /** A reason without its position, numbers and quoted text: what kind of problem it names. */
    private static String reasonClass(String reason) {
        String decode = "cannot decode the image: ";
        boolean decoding = reason.startsWith(decode);
        String r = decoding ? reason.substring(decode.length()) : reason;
        r = r.replaceAll("('|:| \\((?!the stream id)).*", "")
                .replaceAll("[0-9]+", "N")
                .trim();
        r = r.length() > 60 ? r.substring(0, 60) : r;
        return decoding ? "decode: " + r : r;
    }

    // ---------------------------------------------------------------------------------------------
    // The records

    private static List<ProducerRecord<byte[], byte[]>> records(List<Sent> sent) {
        List<Kind> cheap = cheapKinds();
        List<Kind> big = bigKinds();
        Random rnd = new Random(SEED);
        List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>();
        int nextBig = 0;
        for (int i = 0; i < RECORDS; i++) {
            Kind kind =
                    i % 50 == 37 && nextBig < big.size() ? big.get(nextBig++) : cheap.get(rnd.nextInt(cheap.size()));
            ProducerRecord<byte[], byte[]> r = kind.make().apply(i, rnd);
            r.headers().add(ID, utf8(Integer.toString(i)));
            boolean labellable = kind.expect() != Expect.DEAD && r.key() != null;
            sent.add(new Sent(i, kind, labellable ? text(r.key()) + "#" + i : null));
            out.add(r);
        }
        return out;
    }

    private static String stream(int i) {
        return "cam-" + (i % 4);
    }

    /** A record of stream {@code stream(i)} with frame-seq {@code i} and a capture-ts of now. */
    private static ProducerRecord<byte[], byte[]> rec(int i, byte[] value) {
        long now = System.currentTimeMillis();
        ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(TOPIC, null, now, utf8(stream(i)), value);
        r.headers().add(WireFormat.FRAME_SEQ, utf8(Long.toString(i)));
        r.headers().add(WireFormat.CAPTURE_TS, utf8(Long.toString(now)));
        return r;
    }

    /** {@link #rec} with header {@code name} replaced by {@code value} (removed if null). */
    private static ProducerRecord<byte[], byte[]> withHeader(int i, byte[] value, String name, String headerValue) {
        ProducerRecord<byte[], byte[]> r = rec(i, value);
        r.headers().remove(name);
        if (headerValue != null) {
            r.headers().add(name, utf8(headerValue));
        }
        return r;
    }

    private static ProducerRecord<byte[], byte[]> keyed(int i, byte[] key, byte[] value) {
        ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(TOPIC, null, System.currentTimeMillis(), key, value);
        r.headers().add(WireFormat.FRAME_SEQ, utf8(Long.toString(i)));
        return r;
    }

    private static final SceneGenerator SCENES = SceneGenerator.of(SceneConfig.defaults(), 5);

    private static byte[] jpeg(int i) {
        return SCENES.camera(stream(i)).frame(i).jpeg(0.9f);
    }

    private static byte[] png(int i) {
        return SCENES.camera(stream(i)).frame(i).png();
    }

    /** The frame as an 8-bit palette PNG (whose metadata chunks the PNG reader parses). */
    private static byte[] palettePng(int i) {
        BufferedImage rgb = SCENES.camera(stream(i)).frame(i).image();
        BufferedImage indexed = new BufferedImage(rgb.getWidth(), rgb.getHeight(), BufferedImage.TYPE_BYTE_INDEXED);
        indexed.getGraphics().drawImage(rgb, 0, 0, null);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(indexed, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static List<Kind> cheapKinds() {
        List<Kind> k = new ArrayList<>();
        k.add(new Kind("jpeg", Expect.LABEL, (i, r) -> rec(i, jpeg(i))));
        k.add(new Kind("png", Expect.LABEL, (i, r) -> rec(i, png(i))));
        k.add(new Kind("png-palette", Expect.LABEL, (i, r) -> rec(i, palettePng(i))));
        k.add(new Kind(
                "jpeg-no-capture-ts", Expect.LABEL, (i, r) -> withHeader(i, jpeg(i), WireFormat.CAPTURE_TS, null)));
        k.add(new Kind(
                "png-capture-ts-seconds",
                Expect.LABEL,
                (i, r) -> withHeader(
                        i, png(i), WireFormat.CAPTURE_TS, Long.toString(System.currentTimeMillis() / 1000))));
        k.add(new Kind(
                "jpeg-capture-ts-future",
                Expect.LABEL,
                (i, r) -> withHeader(i, jpeg(i), WireFormat.CAPTURE_TS, Long.toString(Long.MAX_VALUE))));
        k.add(new Kind("jpeg-seq-twice", Expect.LABEL, (i, r) -> {
            ProducerRecord<byte[], byte[]> p = withHeader(i, jpeg(i), WireFormat.FRAME_SEQ, "x7");
            p.headers().add(WireFormat.FRAME_SEQ, utf8(Long.toString(i)));
            return p;
        }));
        k.add(new Kind(
                "png-type-params",
                Expect.LABEL,
                (i, r) -> withHeader(i, png(i), WireFormat.CONTENT_TYPE, " IMAGE/PNG ; q=1")));
        k.add(new Kind(
                "jpeg-type-mismatch",
                Expect.LABEL,
                (i, r) -> withHeader(i, jpeg(i), WireFormat.CONTENT_TYPE, "image/png")));
        k.add(new Kind(
                "type-gif", Expect.DEAD, (i, r) -> withHeader(i, jpeg(i), WireFormat.CONTENT_TYPE, "image/gif")));
        k.add(new Kind("type-binary", Expect.DEAD, (i, r) -> {
            ProducerRecord<byte[], byte[]> p = withHeader(i, png(i), WireFormat.CONTENT_TYPE, null);
            p.headers().add(WireFormat.CONTENT_TYPE, new byte[] {0, (byte) 0xff, '\n', 'x'});
            return p;
        }));
        k.add(new Kind("seq-missing", Expect.DEAD, (i, r) -> withHeader(i, jpeg(i), WireFormat.FRAME_SEQ, null)));
        k.add(new Kind("seq-text", Expect.DEAD, (i, r) -> withHeader(i, jpeg(i), WireFormat.FRAME_SEQ, "12a")));
        k.add(new Kind(
                "seq-huge",
                Expect.DEAD,
                (i, r) -> withHeader(i, png(i), WireFormat.FRAME_SEQ, "9223372036854775808" + i)));
        k.add(new Kind(
                "seq-2^63", Expect.DEAD, (i, r) -> withHeader(i, png(i), WireFormat.FRAME_SEQ, "9223372036854775808")));
        k.add(new Kind("seq-negative", Expect.DEAD, (i, r) -> withHeader(i, jpeg(i), WireFormat.FRAME_SEQ, "-" + i)));
        k.add(new Kind("seq-empty", Expect.DEAD, (i, r) -> withHeader(i, jpeg(i), WireFormat.FRAME_SEQ, "")));
        k.add(new Kind(
                "capture-ts-text", Expect.DEAD, (i, r) -> withHeader(i, jpeg(i), WireFormat.CAPTURE_TS, "yesterday")));
        k.add(new Kind(
                "capture-ts-huge",
                Expect.DEAD,
                (i, r) -> withHeader(i, jpeg(i), WireFormat.CAPTURE_TS, "99999999999999999999999")));
        k.add(new Kind("key-null", Expect.DEAD, (i, r) -> keyed(i, null, jpeg(i))));
        k.add(new Kind("key-empty", Expect.DEAD, (i, r) -> keyed(i, new byte[0], jpeg(i))));
        k.add(new Kind("key-not-utf8", Expect.DEAD, (i, r) -> keyed(i, new byte[] {(byte) 0xc3, 0x28}, jpeg(i))));
        k.add(new Kind("value-null", Expect.DEAD, (i, r) -> rec(i, null)));
        k.add(new Kind("value-empty", Expect.DEAD, (i, r) -> rec(i, new byte[0])));
        k.add(new Kind("value-garbage", Expect.DEAD, (i, r) -> rec(i, randomBytes(r, 1 + r.nextInt(5000)))));
        k.add(new Kind("jpeg-truncated", Expect.EITHER, (i, r) -> rec(i, truncate(jpeg(i), r))));
        k.add(new Kind("png-truncated", Expect.EITHER, (i, r) -> rec(i, truncate(png(i), r))));
        k.add(new Kind("jpeg-bitflips", Expect.EITHER, (i, r) -> rec(i, flip(jpeg(i), r))));
        k.add(new Kind("png-bitflips", Expect.EITHER, (i, r) -> rec(i, flip(png(i), r))));
        k.add(new Kind("png-ihdr-huge", Expect.DEAD, (i, r) -> rec(i, ihdr(png(i), 1 << 30, 1 << 30, -1, -1))));
        k.add(new Kind("png-ihdr-wide", Expect.DEAD, (i, r) -> rec(i, ihdr(png(i), 300_000, 64, -1, -1))));
        k.add(new Kind("png-ihdr-depth16", Expect.EITHER, (i, r) -> rec(i, ihdr(png(i), -1, -1, 16, -1))));
        k.add(new Kind(
                "png-ihdr-colour",
                Expect.EITHER,
                (i, r) -> rec(i, ihdr(png(i), -1, -1, -1, new int[] {0, 3, 4, 6, 5}[r.nextInt(5)]))));
        k.add(new Kind(
                "png-ihdr-random",
                Expect.EITHER,
                (i, r) -> rec(i, ihdr(png(i), r.nextInt(), r.nextInt(), r.nextInt(256), r.nextInt(256)))));
        k.add(new Kind("jpeg-sof-huge", Expect.DEAD, (i, r) -> rec(i, sof(jpeg(i), 65535, 65535))));
        k.add(new Kind(
                "jpeg-sof-random", Expect.EITHER, (i, r) -> rec(i, sof(jpeg(i), r.nextInt(65536), r.nextInt(65536)))));
        k.add(new Kind("jpeg-cmyk", Expect.DEAD, (i, r) -> rec(i, fourComponentJpeg())));
        k.add(new Kind("jpeg-ycck", Expect.DEAD, (i, r) -> rec(i, withAdobeMarker(fourComponentJpeg(), 2))));
        return k;
    }

    /** Kinds too large to repeat often: each used once, at spread-out positions. */
    private static List<Kind> bigKinds() {
        byte[] huge16 = uniformRgba16Png(6000, 6000, RGBA16);
        byte[] wide16 = uniformRgba16Png(20_000, 1500, RGBA16);
        List<Kind> k = new ArrayList<>();
        k.add(new Kind("png-rgba16-6000", Expect.EITHER, (i, r) -> rec(i, huge16)));
        k.add(new Kind("png-at-cap", Expect.LABEL, (i, r) -> rec(i, padPng(png(i), CAP))));
        k.add(new Kind("garbage-at-cap", Expect.DEAD, (i, r) -> rec(i, randomBytes(r, CAP))));
        k.add(new Kind("garbage-1.5MB", Expect.DEAD, (i, r) -> rec(i, randomBytes(r, 1_500_000))));
        k.add(new Kind("png-rgba16-20000x1500", Expect.EITHER, (i, r) -> rec(i, wide16)));
        k.add(new Kind("png-over-cap", Expect.DEAD, (i, r) -> rec(i, padPng(png(i), CAP + 1))));
        k.add(new Kind(
                "png-rgba16-6000-seq-missing",
                Expect.DEAD,
                (i, r) -> withHeader(i, huge16, WireFormat.FRAME_SEQ, null)));
        k.add(new Kind("png-palette-ztxt-200MB", Expect.LABEL, (i, r) -> rec(i, withZtxt(palettePng(i), 200))));
        k.add(new Kind("png-1.5MB-key-null", Expect.DEAD, (i, r) -> keyed(i, null, padPng(png(i), 1_500_000))));
        k.add(new Kind(
                "png-rgba16-6000-truncated", Expect.DEAD, (i, r) -> rec(i, Arrays.copyOf(huge16, huge16.length / 2))));
        return k;
    }

    private static byte[] randomBytes(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    private static byte[] truncate(byte[] image, Random r) {
        return Arrays.copyOf(image, 1 + r.nextInt(image.length - 1));
    }

    private static byte[] flip(byte[] image, Random r) {
        byte[] b = image.clone();
        for (int n = 1 + r.nextInt(8); n > 0; n--) {
            int at = r.nextInt(b.length);
            b[at] ^= (byte) (1 << r.nextInt(8));
        }
        return b;
    }

    /** The PNG with its IHDR fields replaced (negative: kept) and its CRC made right again. */
    private static byte[] ihdr(byte[] png, int width, int height, int depth, int colour) {
        byte[] b = png.clone();
        if (width >= 0) {
            putInt(b, 16, width);
        }
        if (height >= 0) {
            putInt(b, 20, height);
        }
        if (depth >= 0) {
            b[24] = (byte) depth;
        }
        if (colour >= 0) {
            b[25] = (byte) colour;
        }
        CRC32 crc = new CRC32();
        crc.update(b, 12, 17);
        putInt(b, 29, (int) crc.getValue());
        return b;
    }

    /** The JPEG with the dimensions of its first SOFn marker replaced. */
    private static byte[] sof(byte[] jpeg, int width, int height) {
        byte[] b = jpeg.clone();
        for (int at = 2; at + 9 < b.length; ) {
            int marker = b[at + 1] & 0xff;
            if (marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc) {
                b[at + 5] = (byte) (height >> 8);
                b[at + 6] = (byte) height;
                b[at + 7] = (byte) (width >> 8);
                b[at + 8] = (byte) width;
                return b;
            }
            at += 2 + (((b[at + 2] & 0xff) << 8) | (b[at + 3] & 0xff));
        }
        throw new IllegalStateException("no SOF marker");
    }

    private static void putInt(byte[] b, int at, int v) {
        b[at] = (byte) (v >> 24);
        b[at + 1] = (byte) (v >> 16);
        b[at + 2] = (byte) (v >> 8);
        b[at + 3] = (byte) v;
    }

    /** The PNG with a private ancillary chunk before IEND, {@code size} bytes in all. */
    private static byte[] padPng(byte[] png, int size) {
        int iend = png.length - 12;
        ByteArrayOutputStream out = new ByteArrayOutputStream(size);
        out.write(png, 0, iend);
        try {
            pngChunk(out, "prVt", new byte[size - png.length - 12]);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.write(png, iend, 12);
        return out.toByteArray();
    }

    /** The PNG with a zTXt chunk after IHDR that inflates to {@code megabytes} MB of zeros. */
    private static byte[] withZtxt(byte[] png, int megabytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ByteArrayOutputStream text = new ByteArrayOutputStream();
            text.write(utf8("Comment"));
            text.write(new byte[] {0, 0});
            try (DeflaterOutputStream z = new DeflaterOutputStream(text, new Deflater(9))) {
                byte[] zeros = new byte[1 << 20];
                for (int n = 0; n < megabytes; n++) {
                    z.write(zeros);
                }
            }
            out.write(png, 0, 33);
            pngChunk(out, "zTXt", text.toByteArray());
            out.write(png, 33, png.length - 33);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
