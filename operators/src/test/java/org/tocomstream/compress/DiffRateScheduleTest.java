package org.tocomstream.compress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.byLessThan;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.tocomstream.model.VitConfig;

class DiffRateScheduleTest {

    private static final TokenGeometry DEIT_S =
            VitConfig.preset("deit_small_patch16_224").geometry();
    private static final TokenGeometry DEIT_B =
            VitConfig.preset("deit_base_patch16_224").geometry();

    /** The published figures are quoted to 3 decimals: a correct value lies within half a unit of that place. */
    private static final double THREE_DECIMALS = 0.0005;

    @Nested
    class Cost {

        @ParameterizedTest(name = "{0} -> {1} G")
        @CsvSource({
            "deit-s@2.3, 2.327",
            "deit-s@2.5, 2.505",
            "deit-s@2.7, 2.709",
            "deit-s@2.9, 2.905",
            "deit-s@3.1, 3.108",
            "deit-b@8.7, 8.731",
            "deit-b@10.0, 9.986",
            "deit-b@10.4, 10.434",
            "deit-b@11.5, 11.517",
            "deit-b@12.5, 12.523"
        })
        void publishedGmacsAreReproducedWithThePublishedPatchEmbeddingCount(String name, double gmacs) {
            TokenGeometry g = name.startsWith("deit-s") ? DEIT_S : DEIT_B;
            CompressionLevel level = CompressionLevel.parse("diffrate:" + name);
            double ours = DiffRatePublished.macsAsPublished(CostModel.of(g), level) / 1e9;
            assertThat(ours).isCloseTo(gmacs, byLessThan(THREE_DECIMALS));
        }

        @Test
        void headlineFiguresHoldWithTheProjectsOwnCount() {
            // CostModel counts the patch embedding on the 196 patches only; the two headline figures
            // round the same either way (2.90496 and 11.51665).
            assertThat(CostModel.of(DEIT_S).gmacs(CompressionLevel.parse("diffrate:deit-s@2.9")))
                    .isCloseTo(2.905, byLessThan(THREE_DECIMALS));
            assertThat(CostModel.of(DEIT_B).gmacs(CompressionLevel.parse("diffrate:deit-b@11.5")))
                    .isCloseTo(11.517, byLessThan(THREE_DECIMALS));
        }

        @Test
        void theAllN0ScheduleCostsTheSameAsNone() {
            int[] full = new int[12];
            java.util.Arrays.fill(full, 197);
            CompressionLevel level = CompressionLevel.diffRate(DiffRateSchedule.of(full, full));
            assertThat(CostModel.of(DEIT_S).macs(level))
                    .isEqualTo(CostModel.of(DEIT_S).macs(CompressionLevel.none()));
        }
    }

    @Nested
    class Counts {

        @Test
        void effectiveCountIsTheRunningMinimumAndBlockZeroNeverReduces() {
            assertThat(TokenCounts.afterEachBlock(DEIT_S, CompressionLevel.parse("diffrate:deit-s@2.9")))
                    .containsExactly(197, 194, 176, 156, 141, 133, 121, 107, 88, 64, 56, 3);
            // Block 3 prunes to 60 after block 2 left 50: a no-op.
            TokenGeometry tiny = VitConfig.preset("vit_test_tiny").geometry();
            CompressionLevel level = CompressionLevel.parse(
                    "diffrate:65,62,50,52,44,60,36,30,26,20,16,6/65,58,56,46,44,40,34,28,24,18,14,3");
            assertThat(TokenCounts.afterEachBlock(tiny, level))
                    .containsExactly(65, 58, 50, 46, 44, 40, 34, 28, 24, 18, 14, 3);
        }

        @Test
        void aPublishedScheduleIsRefusedOnAModelWithAnotherTokenCount() {
            TokenGeometry demo = VitConfig.preset("vit_demo").geometry();
            CompressionLevel level = CompressionLevel.parse("diffrate:deit-s@2.9");
            assertThatThrownBy(() -> TokenCounts.afterEachBlock(demo, level))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("made for 197 tokens and 12 blocks")
                    .hasMessageContaining("the model has 65 tokens");
            TokenGeometry distilled =
                    VitConfig.preset("deit_small_distilled_patch16_224").geometry();
            assertThatThrownBy(() -> CostModel.of(distilled).macs(level))
                    .hasMessageContaining("the model has 198 tokens");
        }

        @Test
        void countsMustExceedThePrefixTokens() {
            TokenGeometry distilled =
                    VitConfig.preset("deit_test_tiny_distilled").geometry();
            int[] p = {66, 60, 50, 40, 30, 20, 10, 8, 6, 4, 3, 3};
            int[] m = {66, 60, 50, 40, 30, 20, 10, 8, 6, 4, 3, 2};
            assertThatThrownBy(() -> DiffRateSchedule.of(p, m).requireFits(distilled))
                    .hasMessageContaining("keeps 2 tokens somewhere, but the model has 2 prefix tokens");
        }
    }

    @Nested
    class Text {

        @ParameterizedTest
        @ValueSource(strings = {"diffrate:deit-s@2.9", "diffrate:deit-b@10.0", "diffrate:65,60,50/65,58,40"})
        void canonicalTextRoundTrips(String text) {
            CompressionLevel level = CompressionLevel.parse(text);
            assertThat(level.toString()).isEqualTo(text);
            assertThat(CompressionLevel.parse(level.toString())).isEqualTo(level);
            assertThat(level.methodName()).isEqualTo("diffrate");
            assertThat(level.method()).isEqualTo(CompressionLevel.Method.DIFFRATE);
        }

        @Test
        void publishedNamesAreNormalised() {
            assertThat(CompressionLevel.parse(" DiffRate:DeiT-S@2.90 ").toString())
                    .isEqualTo("diffrate:deit-s@2.9");
            assertThat(CompressionLevel.parse("diffrate:deit-b@10").toString()).isEqualTo("diffrate:deit-b@10.0");
            assertThat(CompressionLevel.parse("diffrate:deit-s@2.9").scheduleText())
                    .isEqualTo("deit-s@2.9");
        }

        @Test
        void aPublishedScheduleIsNotEqualToTheSameCountsInline() {
            int[][] c = DiffRateSchedule.published("deit-s@2.9").counts();
            CompressionLevel inline = CompressionLevel.diffRate(DiffRateSchedule.of(c[0], c[1]));
            assertThat(inline).isNotEqualTo(CompressionLevel.parse("diffrate:deit-s@2.9"));
            assertThat(TokenCounts.afterEachBlock(DEIT_S, inline))
                    .containsExactly(TokenCounts.afterEachBlock(DEIT_S, CompressionLevel.parse("diffrate:deit-s@2.9")));
        }

        @ParameterizedTest
        @ValueSource(
                strings = {
                    "diffrate:",
                    "diffrate:deit-s@2.8",
                    "diffrate:deit-t@1.0",
                    "diffrate:65,60/65",
                    "diffrate:65,60/64,60",
                    "diffrate:65,66/65,60",
                    "diffrate:65,1/65,60",
                    "diffrate:65,60,/65,58,40",
                    "diffrate:65,x/65,60",
                    "diffrate:file=/nonexistent/schedule.json"
                })
        void badTextIsRejectedWithAMessageQuotingIt(String text) {
            assertThatThrownBy(() -> CompressionLevel.parse(text))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'" + text + "'");
        }
    }

    @Nested
    class File {

        @TempDir
        Path dir;

        @Test
        void aScheduleFileIsReadIntoTheInlineForm() throws IOException {
            DiffRateSchedule s = DiffRateSchedule.of(new int[] {65, 60, 50}, new int[] {65, 58, 40});
            Path file = dir.resolve("Schedule.json");
            DiffRateScheduleFile.write(file, s, Map.of("model", "vit_demo", "target_gmacs", 0.12));
            String json = Files.readString(file);
            assertThat(json)
                    .contains("\"format\": \"tocom-stream/diffrate-schedule\"")
                    .contains("\"prune_kept\": [65, 60, 50]")
                    .contains("\"model\": \"vit_demo\"");
            CompressionLevel level = CompressionLevel.parse("diffrate:file=" + file);
            assertThat(level.toString()).isEqualTo("diffrate:65,60,50/65,58,40");
            assertThat(level.diffRateSchedule()).isEqualTo(s);
            assertThat(DiffRateSchedule.read(file)).isEqualTo(s);
        }

        @ParameterizedTest
        @CsvSource(
                delimiter = '|',
                value = {
                    "{\"format\":\"other\",\"version\":1,\"tokens\":65,\"prune_kept\":[65],\"merge_kept\":[65]} | format is 'other'",
                    "{\"format\":\"tocom-stream/diffrate-schedule\",\"version\":2,\"tokens\":65,\"prune_kept\":[65],\"merge_kept\":[65]} | version 2",
                    "{\"format\":\"tocom-stream/diffrate-schedule\",\"version\":1,\"tokens\":65,\"prune_kept\":[65]} | missing key 'merge_kept'",
                    "{\"format\":\"tocom-stream/diffrate-schedule\",\"version\":1,\"tokens\":64,\"prune_kept\":[65],\"merge_kept\":[65]} | tokens is 64",
                    "{\"format\":\"tocom-stream/diffrate-schedule\",\"version\":1,\"tokens\":65,\"prune_kept\":[65,60.5],\"merge_kept\":[65,60]} | not an integer",
                    "[1,2] | not a DiffRate schedule file"
                })
        void badFilesAreRejectedNamingTheProblem(String json, String message) throws IOException {
            Path file = dir.resolve("bad.json");
            Files.writeString(file, json);
            assertThatThrownBy(() -> DiffRateSchedule.read(file))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining(file.toString())
                    .hasMessageContaining(message);
        }
    }
}
