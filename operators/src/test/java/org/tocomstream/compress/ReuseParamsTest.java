package org.tocomstream.compress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The reuse level's text: count or fraction, and the attention mode. */
class ReuseParamsTest {

    @Test
    void theRowsModeIsTheDefaultAndItsCanonicalTextOmitsIt() {
        CompressionLevel level = CompressionLevel.parse("reuse:0.25,attn=rows");
        assertThat(level).isEqualTo(CompressionLevel.reuse(0.25));
        assertThat(level.toString()).isEqualTo("reuse:0.25");
        assertThat(level.reuseAccumulates()).isFalse();
    }

    @Test
    void theAccumulateModeRoundTrips() {
        for (String text : new String[] {"reuse:0.25,attn=accumulate", "reuse:49,attn=accumulate"}) {
            CompressionLevel level = CompressionLevel.parse(text);
            assertThat(level.toString()).isEqualTo(text);
            assertThat(CompressionLevel.parse(level.toString())).isEqualTo(level);
            assertThat(level.reuseAccumulates()).isTrue();
            assertThat(level.isReuse()).isTrue();
        }
        assertThat(CompressionLevel.parse("reuse:1 , attn=accumulate").toString())
                .isEqualTo("reuse:1,attn=accumulate");
        assertThat(CompressionLevel.parse("reuse:49,attn=accumulate").reuseRecomputed(196))
                .isEqualTo(49);
        assertThat(CompressionLevel.parse("reuse:0.25,attn=accumulate")).isNotEqualTo(CompressionLevel.reuse(0.25));
        assertThat(CompressionLevel.tome(4).reuseAccumulates()).isFalse();
    }

    @Test
    void anUnknownOptionIsNamed() {
        assertThatThrownBy(() -> CompressionLevel.parse("reuse:0.25,attn=dense"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("attn=dense")
                .hasMessageContaining("attn=rows or attn=accumulate")
                .hasMessageContaining("reuse:FRACTION|COUNT[,attn=rows|accumulate]");
        assertThatThrownBy(() -> CompressionLevel.parse("reuse:0.25,attn=rows,attn=rows"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("one option");
    }
}
