package org.tocomstream.stream;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tocomstream.model.ImagePreprocessor;
import org.tocomstream.model.ModelSpec.PreprocessConfig;
import org.tocomstream.stream.FrameRecord.Header;
import org.tocomstream.stream.testutils.Images;

/** The stream-id (key) length cap of {@link FrameValidator}. */
class FrameValidatorTest {

    private static final ImagePreprocessor PRE = new ImagePreprocessor(PreprocessConfig.deitEval(32));
    private static final byte[] PNG = Images.encoded("png", 40, 30);
    private static final long NOW = 1_700_000_000_000L;

    private static FrameRecord frame(byte[] key) {
        return new FrameRecord(
                "frames",
                3,
                17,
                NOW,
                key,
                PNG,
                List.of(
                        new Header(WireFormat.FRAME_SEQ, "5".getBytes(StandardCharsets.US_ASCII)),
                        new Header(WireFormat.CAPTURE_TS, Long.toString(NOW).getBytes(StandardCharsets.US_ASCII))));
    }

    private static byte[] key(int bytes) {
        byte[] key = new byte[bytes];
        Arrays.fill(key, (byte) 'k');
        return key;
    }

    @Test
    void aKeyAtTheDefaultCapIsAStreamId() {
        FrameValidator.Outcome o = new FrameValidator(PRE, DecodeConfig.defaults()).validate(frame(key(256)), NOW);

        assertThat(o.deadLetter()).isNull();
        assertThat(o.frame().stream()).hasSize(256);
    }

    @Test
    void aKeyAboveTheDefaultCapIsDeadLetteredNamingTheLimitAndTheSetting() {
        FrameValidator.Outcome o = new FrameValidator(PRE, DecodeConfig.defaults()).validate(frame(key(257)), NOW);

        assertThat(o.deadLetter()).isNotNull();
        assertThat(o.frame() == null).as("no frame").isTrue();
        assertThat(o.deadLetter().reason())
                .isEqualTo("frames-3@17: key (the stream id) is 257 bytes, above the cap of 256"
                        + " (vit.decode.max-key-bytes)");
    }

    @Test
    void aHugeKeyIsDeadLetteredWithoutBeingDecoded() {
        FrameValidator.Outcome o =
                new FrameValidator(PRE, DecodeConfig.defaults()).validate(frame(key(1_200_000)), NOW);

        assertThat(o.deadLetter()).isNotNull();
        assertThat(o.frame() == null).as("no frame").isTrue();
        assertThat(o.deadLetter().reason())
                .endsWith("key (the stream id) is 1200000 bytes, above the cap of 256" + " (vit.decode.max-key-bytes)");
    }

    @Test
    void theCapCountsUtf8BytesNotCharacters() {
        byte[] eightyFiveEuros = "€".repeat(85).getBytes(StandardCharsets.UTF_8); // 255 bytes
        byte[] eightySixEuros = "€".repeat(86).getBytes(StandardCharsets.UTF_8); // 258 bytes
        FrameValidator check = new FrameValidator(PRE, DecodeConfig.defaults());

        assertThat(check.validate(frame(eightyFiveEuros), NOW).frame()).isNotNull();
        assertThat(check.validate(frame(eightySixEuros), NOW).deadLetter()).isNotNull();
        assertThat(check.validate(frame(eightySixEuros), NOW).deadLetter().reason())
                .contains("is 258 bytes, above the cap of 256");
    }

    @Test
    void theCapIsConfigurable() {
        DecodeConfig limits = new DecodeConfig(
                DecodeConfig.DEFAULT_MAX_VALUE_BYTES,
                ImagePreprocessor.DEFAULT_MAX_PIXELS,
                ImagePreprocessor.DEFAULT_MAX_DECODED_BYTES,
                8);
        FrameValidator check = new FrameValidator(PRE, limits);

        assertThat(check.validate(frame(key(8)), NOW).frame()).isNotNull();
        assertThat(check.validate(frame(key(9)), NOW).deadLetter()).isNotNull();
        assertThat(check.validate(frame(key(9)), NOW).deadLetter().reason())
                .endsWith("key (the stream id) is 9 bytes, above the cap of 8 (vit.decode.max-key-bytes)");
    }
}
