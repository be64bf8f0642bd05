package org.tocomstream.job.run;

import static org.tocomstream.data.HostileImages.flip;
import static org.tocomstream.data.HostileImages.fourComponentJpeg;
import static org.tocomstream.data.HostileImages.ihdr;
import static org.tocomstream.data.HostileImages.padPng;
import static org.tocomstream.data.HostileImages.palettePng;
import static org.tocomstream.data.HostileImages.randomBytes;
import static org.tocomstream.data.HostileImages.sof;
import static org.tocomstream.data.HostileImages.truncate;
import static org.tocomstream.data.HostileImages.uniformRgba16Png;
import static org.tocomstream.data.HostileImages.withAdobeMarker;
import static org.tocomstream.data.HostileImages.withZtxt;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.BiFunction;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.tocomstream.data.SceneConfig;
import org.tocomstream.data.SceneGenerator;
import org.tocomstream.stream.DecodeConfig;
import org.tocomstream.stream.WireFormat;

/**
 * A seeded sequence of frames-topic records hostile to the job: valid JPEG and PNG frames,
 * mutations of them (truncation, bit flips, header rewrites, huge dimensions, 16-bit and
 * 4-component images), header fuzz, odd keys, and values up to and above the value cap. Every
 * record carries {@value #ID} (its index), {@value #KIND} (its kind's name) and {@value #EXPECT}
 * (what the job must answer: {@code label}, {@code dead} or {@code either}). Records of the cheap
 * kinds are drawn at random; the big kinds (0.3 to 1.5 MB each) come at every index {@code i % 50
 * == 37}, cycling through their list. A pure function of (topic, seed, index) apart from capture
 * times, which are the time of making.
 *
 * <pre>{@code
 * HostileFrames hostile = new HostileFrames("frames", 16);
 * for (int i = 0; i < n; i++) { HostileFrames.Hostile h = hostile.next(); producer.send(h.record()); }
 * }</pre>
 */
public final class HostileFrames {

    /** Header with the record's index in the sequence. */
    public static final String ID = "x-hostile-id";

    /** Header with the record's kind's name. */
    public static final String KIND = "x-hostile-kind";

    /** Header with what the job must answer: {@code label}, {@code dead} or {@code either}. */
    public static final String EXPECT = "x-hostile-expect";

    /** Big kinds come at the indexes {@code i % BIG_EVERY == BIG_AT}. */
    static final int BIG_EVERY = 50;

    private static final int BIG_AT = 37;
    private static final int CAP = (int) DecodeConfig.DEFAULT_MAX_VALUE_BYTES;
    /** The colour of the large 16-bit PNGs. */
    private static final int[] RGBA16 = {0x1243, 0x74a5, 0xd607, 0x3869};

    private static final SceneGenerator SCENES = SceneGenerator.of(SceneConfig.defaults(), 5);

    /** What a kind of record must end as. */
    public enum Expect {
        LABEL,
        DEAD,
        EITHER;

        /** The {@value #EXPECT} header value: the name in lower case. */
        public String headerValue() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** The expectation named by a {@value #EXPECT} header value, or null if none is. */
        public static Expect ofHeader(String value) {
            for (Expect e : values()) {
                if (e.headerValue().equals(value)) {
                    return e;
                }
            }
            return null;
        }

        /** Whether an answer (a label or a dead letter) meets this expectation. */
        public boolean allows(boolean labelled) {
            return this == EITHER || (this == LABEL) == labelled;
        }
    }

    /** One kind of record: its name, what it must end as, and how to make one (index, random). */
    private record Kind(String name, Expect expect, BiFunction<Integer, Random, ProducerRecord<byte[], byte[]>> make) {}

    /**
     * One made record.
     *
     * @param id its index
     * @param kind its kind's name
     * @param expect what the job must answer
     * @param record the record, headers included
     */
    public record Hostile(int id, String kind, Expect expect, ProducerRecord<byte[], byte[]> record) {}

    private final String topic;
    private final Random rnd;
    private final List<Kind> cheap;
    private final List<Kind> big;
    private int next;

    /** The sequence for {@code topic} from {@code seed}; makes the big images once (a second or so). */
    public HostileFrames(String topic, long seed) {
        this.topic = topic;
        this.rnd = new Random(seed);
        this.cheap = cheapKinds();
        this.big = bigKinds();
    }

    /** The names of all kinds, cheap ones first. */
    public List<String> kindNames() {
        List<String> names = new ArrayList<>();
        cheap.forEach(k -> names.add(k.name()));
        big.forEach(k -> names.add(k.name()));
        return names;
    }

    /** The next record of the sequence. */
    public Hostile next() {
        int i = next++;
        Kind kind =
                i % BIG_EVERY == BIG_AT ? big.get((i / BIG_EVERY) % big.size()) : cheap.get(rnd.nextInt(cheap.size()));
        ProducerRecord<byte[], byte[]> r = kind.make().apply(i, rnd);
        r.headers().add(ID, utf8(Integer.toString(i)));
        r.headers().add(KIND, utf8(kind.name()));
        r.headers().add(EXPECT, utf8(kind.expect().headerValue()));
        return new Hostile(i, kind.name(), kind.expect(), r);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String stream(int i) {
        return "cam-" + (i % 4);
    }

    /** A record of stream {@code stream(i)} with frame-seq {@code i} and a capture-ts of now. */
    private ProducerRecord<byte[], byte[]> rec(int i, byte[] value) {
        long now = System.currentTimeMillis();
        ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(topic, null, now, utf8(stream(i)), value);
        r.headers().add(WireFormat.FRAME_SEQ, utf8(Long.toString(i)));
        r.headers().add(WireFormat.CAPTURE_TS, utf8(Long.toString(now)));
        return r;
    }

    /** {@link #rec} with header {@code name} replaced by {@code value} (removed if null). */
    private ProducerRecord<byte[], byte[]> withHeader(int i, byte[] value, String name, String headerValue) {
        ProducerRecord<byte[], byte[]> r = rec(i, value);
        r.headers().remove(name);
        if (headerValue != null) {
            r.headers().add(name, utf8(headerValue));
        }
        return r;
    }

    private ProducerRecord<byte[], byte[]> keyed(int i, byte[] key, byte[] value) {
        ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(topic, null, System.currentTimeMillis(), key, value);
        r.headers().add(WireFormat.FRAME_SEQ, utf8(Long.toString(i)));
        return r;
    }

    private static byte[] jpeg(int i) {
        return SCENES.camera(stream(i)).frame(i).jpeg(0.9f);
    }

    private static byte[] png(int i) {
        return SCENES.camera(stream(i)).frame(i).png();
    }

    private static byte[] palette(int i) {
        return palettePng(SCENES.camera(stream(i)).frame(i).image());
    }

    private List<Kind> cheapKinds() {
        List<Kind> k = new ArrayList<>();
        k.add(new Kind("jpeg", Expect.LABEL, (i, r) -> rec(i, jpeg(i))));
        k.add(new Kind("png", Expect.LABEL, (i, r) -> rec(i, png(i))));
        k.add(new Kind("png-palette", Expect.LABEL, (i, r) -> rec(i, palette(i))));
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
        headerFuzz(k);
        mutations(k);
        return k;
    }

    /** Kinds with a bad frame-seq, capture-ts, key or value. */
    private void headerFuzz(List<Kind> k) {
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
    }

    /** Kinds with a truncated, bit-flipped or rewritten image. */
    private void mutations(List<Kind> k) {
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
    }

    /** Kinds too large to repeat often: one every {@value #BIG_EVERY} records, in turn. */
    private List<Kind> bigKinds() {
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
        k.add(new Kind("png-palette-ztxt-200MB", Expect.LABEL, (i, r) -> rec(i, withZtxt(palette(i), 200))));
        k.add(new Kind("png-1.5MB-key-null", Expect.DEAD, (i, r) -> keyed(i, null, padPng(png(i), 1_500_000))));
        k.add(new Kind(
                "png-rgba16-6000-truncated", Expect.DEAD, (i, r) -> rec(i, Arrays.copyOf(huge16, huge16.length / 2))));
        // A stream id far above the cap: its label would repeat it twice, past what the sink writes.
        k.add(new Kind("key-1.2MB", Expect.DEAD, (i, r) -> keyed(i, utf8("k".repeat(1_200_000)), jpeg(i))));
        return k;
    }
}
