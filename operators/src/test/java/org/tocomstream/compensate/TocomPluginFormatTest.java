package org.tocomstream.compensate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tocomstream.compensate.TokenCompensator.Projection;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.model.CheckpointException;
import org.tocomstream.model.HostTensor;
import org.tocomstream.model.Safetensors;

/** The plugin's structure, file format and error cases. */
class TocomPluginFormatTest {

    @Nested
    class Masks {

        @Test
        void masksSetTheLastChannelsAsInToComsLayout() {
            // Item 12's mask check on ToCom's own shape: rank 2 per step, degrees 0..16, R = 32.
            CompensatorConfig c = CompensatorConfig.tocomDefaults();
            assertThat(c.rank()).isEqualTo(32);
            float[] one = new float[32];
            one[30] = 1;
            one[31] = 1;
            assertThat(c.mask(0)).containsOnly(0f);
            assertThat(c.mask(1)).containsExactly(one);
            assertThat(c.mask(16)).containsOnly(1f);
        }

        @Test
        void maskDifferenceSelectsTheStepsBetweenTheDegreesWithTheirSign() {
            CompensatorConfig c = new CompensatorConfig(2, 4, 0.1);
            // Steps 2 and 3 (1->3) are channels 2..5: chunk j sits at channels 8-2j, 9-2j.
            assertThat(c.maskDifference(new CompensatorPair(1, 3))).containsExactly(0, 0, 1, 1, 1, 1, 0, 0);
            assertThat(c.maskDifference(new CompensatorPair(3, 1))).containsExactly(0, 0, -1, -1, -1, -1, 0, 0);
            assertThat(c.maskDifference(new CompensatorPair(2, 2))).containsOnly(0f);
        }

        @Test
        void configRejectsBadFieldsNamingThem() {
            assertThatThrownBy(() -> new CompensatorConfig(0, 4, 0.1)).hasMessage("rankPerStep must be >= 1 but was 0");
            assertThatThrownBy(() -> new CompensatorConfig(2, 0, 0.1)).hasMessage("maxDegree must be >= 1 but was 0");
            assertThatThrownBy(() -> new CompensatorConfig(2, 4, -1))
                    .hasMessage("defaultScale must be finite and >= 0 but was -1.0");
            assertThatThrownBy(() -> new CompensatorConfig(2, 4, 0.1).mask(5)).hasMessage("degree 5 is outside 0..4");
        }
    }

    @Nested
    class Pairs {

        @Test
        void textFormRoundTrips() {
            CompensatorPair p = CompensatorPair.parse(" 0->8 ");
            assertThat(p).isEqualTo(new CompensatorPair(0, 8));
            assertThat(p.toString()).isEqualTo("0->8");
            assertThat(p.reversed()).isEqualTo(new CompensatorPair(8, 0));
            assertThatThrownBy(() -> CompensatorPair.parse("0-8"))
                    .hasMessage("invalid compensator pair '0-8'; expected m->n, e.g. 0->8");
            assertThatThrownBy(() -> new CompensatorPair(-1, 2))
                    .hasMessage("compensator degrees must be >= 0 but the pair was -1->2");
        }

        @Test
        void pairComesFromTheTrainedDegreeAndTheBatchLevel() {
            DegreeSchedule constant = DegreeSchedule.CONSTANT;
            assertThat(TokenCompensator.pairFor(constant, CompressionLevel.tome(4), CompressionLevel.tome(2)))
                    .contains(new CompensatorPair(4, 2));
            assertThat(TokenCompensator.pairFor(constant, CompressionLevel.none(), CompressionLevel.tome(3)))
                    .contains(new CompensatorPair(0, 3));
            // Not a constant ToMe degree on either side: the plugin does not apply.
            assertThat(TokenCompensator.pairFor(constant, CompressionLevel.none(), CompressionLevel.evit(0.7)))
                    .isEmpty();
            assertThat(TokenCompensator.pairFor(constant, CompressionLevel.tomeDecreasing(2), CompressionLevel.tome(2)))
                    .isEmpty();
            // A plugin over the decreasing schedule takes those levels, and only those.
            DegreeSchedule decreasing = DegreeSchedule.DECREASING;
            assertThat(TokenCompensator.pairFor(
                            decreasing, CompressionLevel.none(), CompressionLevel.tomeDecreasing(8)))
                    .contains(new CompensatorPair(0, 8));
            assertThat(TokenCompensator.pairFor(
                            decreasing, CompressionLevel.tomeDecreasing(6), CompressionLevel.none()))
                    .contains(new CompensatorPair(6, 0));
            assertThat(TokenCompensator.pairFor(decreasing, CompressionLevel.none(), CompressionLevel.tome(2)))
                    .isEmpty();
        }

        @Test
        void aScheduleMapsDegreesToLevelsAndBack() {
            for (DegreeSchedule d : DegreeSchedule.values()) {
                assertThat(d.level(0)).isEqualTo(CompressionLevel.none());
                for (int r = 0; r <= 16; r++) {
                    assertThat(d.degreeOf(d.level(r))).hasValue(r);
                    assertThat(DegreeSchedule.parse(d.method())).isEqualTo(d);
                }
            }
            assertThat(DegreeSchedule.DECREASING.level(8)).hasToString("tome-decreasing:8");
            assertThat(DegreeSchedule.parse("Decreasing")).isEqualTo(DegreeSchedule.DECREASING);
            assertThatThrownBy(() -> DegreeSchedule.parse("linear"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("unknown degree schedule 'linear'; known: [tome, tome-decreasing]");
            assertThatThrownBy(() -> new CompensatorConfig(2, 4, 0.1, (DegreeSchedule) null))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("axis (a degree schedule or a level list) must not be null");
        }

        @Test
        void aPairBeyondThePluginsRangeIsAnErrorNamingIt() {
            TokenCompensator plugin = TocomTesting.randomPlugin(1);
            assertThatThrownBy(() -> plugin.checkPair(new CompensatorPair(0, 5)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("compensator pair 0->5 is outside the degree range 0..4 of plugin tensors");
        }
    }

    @Nested
    class Files_ {

        @Test
        void freshPluginHasZeroUpAndBoundedDown() {
            TokenCompensator p = TokenCompensator.initial(TocomTesting.TINY, "x", TocomTesting.CONFIG, 3);
            assertThat(p.tensors()).hasSize(4 * TocomTesting.TINY.depth());
            double bound = 1 / Math.sqrt(TocomTesting.TINY.embedDim());
            for (int i = 0; i < TocomTesting.TINY.depth(); i++) {
                for (Projection proj : Projection.values()) {
                    assertThat(p.tensors()
                                    .get(TokenCompensator.key(i, proj, true))
                                    .data())
                            .containsOnly(0f);
                    float[] down = p.tensors()
                            .get(TokenCompensator.key(i, proj, false))
                            .data();
                    for (float v : down) {
                        assertThat(Math.abs(v)).isLessThanOrEqualTo((float) bound);
                    }
                }
            }
            assertThat(p.delta(0, Projection.Q, new CompensatorPair(0, 4), 1).data())
                    .containsOnly(0f);
        }

        @Test
        void saveThenLoadGivesTheSamePlugin(@TempDir Path dir) throws IOException {
            TokenCompensator p = TocomTesting.randomPlugin(2);
            Path file = dir.resolve("tocom.safetensors");
            p.save(file);

            assertThat(dir.resolve("tocom.json")).exists();
            assertThat(Safetensors.read(file).keySet())
                    .contains("blocks.0.attn.q_tocom.adapter_down.weight", "blocks.2.attn.v_tocom.adapter_up.weight")
                    .hasSize(12);
            TokenCompensator back = TokenCompensator.load(file);
            assertThat(back.tensors()).isEqualTo(p.tensors());
            assertThat(back.config()).isEqualTo(p.config());
            assertThat(back.baseWeightsSha256()).isEqualTo(TocomTesting.BASE_SHA);
            assertThat(back.baseArchitecture()).isEqualTo("tocom_test");
            assertThat(back.depth()).isEqualTo(3);
            assertThat(back.embedDim()).isEqualTo(32);
            String json = Files.readString(dir.resolve("tocom.json"), StandardCharsets.UTF_8);
            assertThat(json)
                    .contains(
                            "\"method\": \"tome\"", "\"rankPerStep\": 2", "\"maxDegree\": 4", "\"defaultScale\": 0.5");
        }

        @Test
        void aPluginOverTheDecreasingScheduleRecordsItAsItsMethod(@TempDir Path dir) throws IOException {
            CompensatorConfig config = new CompensatorConfig(2, 4, 0.5, DegreeSchedule.DECREASING);
            TokenCompensator p = TokenCompensator.initial(TocomTesting.TINY, TocomTesting.BASE_SHA, config, 3);
            Path file = dir.resolve("tocom.safetensors");
            p.save(file);
            assertThat(Files.readString(dir.resolve("tocom.json"), StandardCharsets.UTF_8))
                    .contains("\"method\": \"tome-decreasing\"");
            TokenCompensator back = TokenCompensator.load(file);
            assertThat(back.config()).isEqualTo(config);
            assertThat(back.pairFor(CompressionLevel.none(), CompressionLevel.tomeDecreasing(3)))
                    .contains(new CompensatorPair(0, 3));
            assertThat(back.pairFor(CompressionLevel.none(), CompressionLevel.tome(3)))
                    .isEmpty();
            assertThat(back.describe()).contains("degrees 0..4 of tome-decreasing");
        }

        @Test
        void loadingForItsBaseModelWorksAndForAnotherNamesBothIdentities(@TempDir Path dir) throws IOException {
            Path base = TocomTesting.modelDir(dir.resolve("base"), 1);
            Path other = TocomTesting.modelDir(dir.resolve("other"), 2);
            String sha = TokenCompensator.weightsSha256(base);
            assertThat(sha).hasSize(64).isNotEqualTo(TokenCompensator.weightsSha256(other));
            Path file = dir.resolve("p.safetensors");
            TokenCompensator.initial(TocomTesting.TINY, sha, TocomTesting.CONFIG, 0)
                    .save(file);

            assertThat(TokenCompensator.loadFor(file, base).baseWeightsSha256()).isEqualTo(sha);
            assertThatThrownBy(() -> TokenCompensator.loadFor(file, other))
                    .isInstanceOf(CheckpointException.class)
                    .hasMessage(file + " was trained for base model tocom_test with weights sha256 " + sha + ", but "
                            + other + " has weights sha256 " + TokenCompensator.weightsSha256(other));
        }

        @Test
        void malformedFilesAreErrorsNamingTheProblem(@TempDir Path dir) throws IOException {
            TokenCompensator p = TocomTesting.randomPlugin(3);
            Path file = dir.resolve("p.safetensors");
            p.save(file);
            Map<String, HostTensor> t = new LinkedHashMap<>(p.tensors());

            String up = TokenCompensator.key(1, Projection.V, true);
            t.remove(up);
            Safetensors.write(file, t, Map.of());
            assertThatThrownBy(() -> TokenCompensator.load(file))
                    .isInstanceOf(CheckpointException.class)
                    .hasMessage(file + ": missing tensor " + up);

            t.put(up, new HostTensor(new long[] {32, 6}, new float[32 * 6]));
            Safetensors.write(file, t, Map.of());
            assertThatThrownBy(() -> TokenCompensator.load(file))
                    .hasMessage(file + ": " + up
                            + " has shape [32, 6] but rank 8 (2 per step × degree 4) and width 32 need [32, 8]");

            t.put(up, p.tensors().get(up));
            t.put("blocks.0.attn.k_tocom.adapter_up.weight", p.tensors().get(up));
            Safetensors.write(file, t, Map.of());
            assertThatThrownBy(() -> TokenCompensator.load(file))
                    .hasMessage(file + ": unexpected tensors [blocks.0.attn.k_tocom.adapter_up.weight]");

            Path sidecar = dir.resolve("p.json");
            String good = Files.readString(sidecar);
            Files.writeString(sidecar, good.replace("\"maxDegree\"", "\"maxDegre\""));
            assertThatThrownBy(() -> TokenCompensator.load(file))
                    .hasMessageStartingWith(sidecar + ": unknown field 'maxDegre'");
            Files.writeString(sidecar, good.replace("\"tome\"", "\"evit\""));
            assertThatThrownBy(() -> TokenCompensator.load(file))
                    .hasMessage(sidecar + ": method 'evit' is not supported; only [tome, tome-decreasing]");
            Files.delete(sidecar);
            assertThatThrownBy(() -> TokenCompensator.load(file))
                    .isInstanceOf(CheckpointException.class)
                    .hasMessageStartingWith(sidecar + ": missing plugin sidecar");
        }
    }
}
