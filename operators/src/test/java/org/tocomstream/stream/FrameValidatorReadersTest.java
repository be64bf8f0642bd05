package org.tocomstream.stream;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link FrameValidator#streamIdOf} and {@link FrameValidator#frameSeqOf}: the key and seq as the job reads them. */
class FrameValidatorReadersTest {

    private static FrameRecord withSeqs(String... seqs) {
        List<FrameRecord.Header> headers = new ArrayList<>();
        for (String s : seqs) {
            headers.add(new FrameRecord.Header(WireFormat.FRAME_SEQ, s.getBytes(StandardCharsets.UTF_8)));
        }
        return new FrameRecord("f", 0, 0, 0, new byte[] {'a'}, new byte[] {1}, headers);
    }

    @Test
    void theLastFrameSeqHeaderWinsAndBadOnesAreMinusOne() {
        assertThat(FrameValidator.frameSeqOf(withSeqs("x7", "12"))).isEqualTo(12);
        assertThat(FrameValidator.frameSeqOf(withSeqs("12", "x7"))).isEqualTo(-1);
        assertThat(FrameValidator.frameSeqOf(withSeqs())).isEqualTo(-1);
        assertThat(FrameValidator.frameSeqOf(withSeqs("-3"))).isEqualTo(-1);
        assertThat(FrameValidator.frameSeqOf(withSeqs("9223372036854775808"))).isEqualTo(-1);
        assertThat(FrameValidator.frameSeqOf(withSeqs(""))).isEqualTo(-1);
    }

    @Test
    void theStreamIdIsTheKeyAsStrictUtf8() {
        assertThat(FrameValidator.streamIdOf("cam-1".getBytes(StandardCharsets.UTF_8)))
                .isEqualTo("cam-1");
        assertThat(FrameValidator.streamIdOf(null)).isNull();
        assertThat(FrameValidator.streamIdOf(new byte[0])).isNull();
        assertThat(FrameValidator.streamIdOf(new byte[] {(byte) 0xc3, 0x28})).isNull();
    }
}
