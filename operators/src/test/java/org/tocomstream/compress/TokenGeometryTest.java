package org.tocomstream.compress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.tocomstream.model.VitConfig;

class TokenGeometryTest {

    @Test
    void deitSmallAsTheCostModelSeesIt() {
        TokenGeometry g = VitConfig.preset("deit_small_patch16_224").geometry();

        assertThat(g).isEqualTo(new TokenGeometry(197, 1, 384, 12, 1536, 3 * 16 * 16, 1000));
        assertThat(g.patches()).isEqualTo(196);
    }

    @Test
    void aDistilledModelProtectsTwoTokensAndHasTwoHeads() {
        TokenGeometry g = VitConfig.preset("deit_base_distilled_patch16_224").geometry();

        assertThat(g.tokens()).isEqualTo(198);
        assertThat(g.prefixTokens()).isEqualTo(2);
        assertThat(g.headOutputs()).isEqualTo(2000);
    }

    @Test
    void needsAtLeastOneTokenBesideThePrefix() {
        assertThatThrownBy(() -> new TokenGeometry(1, 1, 8, 1, 32, 48, 10))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("tokens 1")
                .hasMessageContaining("1 prefix tokens");
    }

    @Test
    void sizesMustBePositive() {
        assertThatThrownBy(() -> new TokenGeometry(5, 1, 0, 1, 32, 48, 10))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("width must be > 0 but was 0");
        assertThatThrownBy(() -> new TokenGeometry(5, 1, 8, 1, 32, 48, -1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("headOutputs");
    }
}
