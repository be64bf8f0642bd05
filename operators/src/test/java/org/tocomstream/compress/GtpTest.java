package org.tocomstream.compress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** GTP's level text, token counts, cost, graph and sparsification ({@code src/docs/token-reduction.md}, GTP). */
class GtpTest {

    /** vit_test_tiny: 8×8 patches plus the class token, D 48, 12 blocks, MLP 192. */
    private static final TokenGeometry TINY = new TokenGeometry(65, 1, 48, 12, 192, 48, 10);

    @ParameterizedTest
    @ValueSource(
            strings = {
                "gtp:8",
                "gtp:8,theta=0.6",
                "gtp:8,alpha=0.2,graph=spatial,scale=off",
                "gtp:2,theta=0.8,graph=semantic,k=4",
                "gtp:0,theta=0.5"
            })
    void textRoundTrips(String text) {
        CompressionLevel level = CompressionLevel.parse(text);
        assertThat(level.toString()).isEqualTo(text);
        assertThat(CompressionLevel.parse(level.toString())).isEqualTo(level);
        assertThat(level.methodName()).isEqualTo("gtp");
    }

    @Test
    void defaultsAreDroppedAndOptionsMayComeInAnyOrder() {
        CompressionLevel level = CompressionLevel.parse("GTP:8, scale=on, k=8, graph=mixed, theta=off, alpha=0.1");
        assertThat(level.toString()).isEqualTo("gtp:8");
        assertThat(level.gtpParams()).isEqualTo(GtpParams.of(8));
        assertThat(CompressionLevel.parse("gtp:8,theta=0.6,alpha=0.1").toString())
                .isEqualTo("gtp:8,theta=0.6");
        assertThat(level.scheduleText()).isEqualTo("8");
    }

    @Test
    void nothingPropagatedAndNoSparsificationIsNone() {
        assertThat(CompressionLevel.parse("gtp:0")).isSameAs(CompressionLevel.none());
        assertThat(CompressionLevel.parse("gtp:0,alpha=0.5,scale=off")).isSameAs(CompressionLevel.none());
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "gtp:-1",
                "gtp:8,alpha=2",
                "gtp:8,theta=0",
                "gtp:8,graph=ring",
                "gtp:8,k=1",
                "gtp:8,scale=yes",
                "gtp:8,beta=1",
                "gtp:8,"
            })
    void rejectsInvalidText(String text) {
        assertThatThrownBy(() -> CompressionLevel.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(text);
    }

    @Test
    void countsRemovePPerBlockUntilOnePatchTokenIsLeft() {
        assertThat(TokenCounts.afterEachBlock(TINY, CompressionLevel.parse("gtp:4")))
                .containsExactly(61, 57, 53, 49, 45, 41, 37, 33, 29, 25, 21, 17);
        // 65 - 7·8 = 9 tokens, then only 7 of the 8 patch tokens can go: the clamp keeps prefix + 1.
        assertThat(TokenCounts.afterEachBlock(TINY, CompressionLevel.parse("gtp:8")))
                .containsExactly(57, 49, 41, 33, 25, 17, 9, 2, 2, 2, 2, 2);
        assertThat(TokenCounts.afterEachBlock(TINY, CompressionLevel.parse("gtp:0,theta=0.5")))
                .containsOnly(65);
    }

    @Test
    void costIsToMeWithRPlusThePropagation() {
        long d = 48;
        CostModel cost = CostModel.of(TINY);
        long[] tome = cost.blockMacs(CompressionLevel.tome(4));
        long[] spatial = cost.blockMacs(CompressionLevel.parse("gtp:4,graph=spatial,scale=off"));
        long[] mixed = cost.blockMacs(CompressionLevel.parse("gtp:4"));
        for (int l = 0; l < 12; l++) {
            long kept = 61 - 4L * l - 1;
            assertThat(spatial[l] - tome[l]).as("block %d", l).isEqualTo(kept * 4 * d);
            long graph = l == 0 ? 64L * 64 * d : 0;
            assertThat(mixed[l] - tome[l]).as("block %d", l).isEqualTo(kept * 4 * (d + 1) + graph);
        }
    }

    @Test
    void spatialGraphIsSymmetricWithDegrees358AndNormalised() {
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            NDArray patches = m.randomNormal(new Shape(2, 16, 5));
            GtpParams params = new GtpParams(1, 0.1, 1, GtpParams.Graph.SPATIAL, 8, true);
            float[] g = GtpGraph.build(patches, 4, params).get(0).toFloatArray();
            int[] degree = new int[16];
            for (int i = 0; i < 16; i++) {
                for (int j = 0; j < 16; j++) {
                    assertThat(g[i * 16 + j]).isEqualTo(g[j * 16 + i]);
                    degree[i] += g[i * 16 + j] > 0 ? 1 : 0;
                }
            }
            assertThat(degree[0]).isEqualTo(3);
            assertThat(degree[1]).isEqualTo(5);
            assertThat(degree[5]).isEqualTo(8);
            // Entry (0, 1): corner (degree 3) to edge (degree 5).
            assertThat(g[1]).isCloseTo((float) (1 / Math.sqrt(15)), org.assertj.core.data.Offset.offset(1e-6f));
        }
    }

    @Test
    void semanticGraphLinksEachTokenToItsKMinusOneNearest() {
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            NDArray patches = m.randomNormal(new Shape(1, 9, 6));
            GtpParams params = new GtpParams(1, 0.1, 1, GtpParams.Graph.SEMANTIC, 4, true);
            NDArray adj = GtpGraph.build(patches, 3, params).gt(0f);
            // Continuous random tokens have no ties: self plus 3 others reach the 4th largest cosine.
            assertThat(adj.sum(new int[] {2})
                            .toType(ai.djl.ndarray.types.DataType.INT64, false)
                            .toLongArray())
                    .containsOnly(3L);
            assertThat(adj.get(0).diagonal().any().getBoolean()).isFalse();
        }
    }

    @Test
    void sparsificationZeroesAllButTheLargestShareWithoutRenormalising() {
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            // N = 3: floor(9·(1 − 0.6)) = 3, so values below the 3rd smallest (the 2 smallest) go.
            float[] p = {0.5f, 0.3f, 0.2f, 0.1f, 0.6f, 0.3f, 0.25f, 0.05f, 0.7f};
            NDArray a = m.create(p, new Shape(1, 1, 3, 3));
            assertThat(GtpPlan.sparsify(a, 0.6).toFloatArray())
                    .containsExactly(0.5f, 0.3f, 0.2f, 0f, 0.6f, 0.3f, 0.25f, 0f, 0.7f);
            assertThat(GtpPlan.sparsify(a, 1.0)).isSameAs(a);
        }
    }
}
