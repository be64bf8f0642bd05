package org.tocomstream.compress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CompressionLevelTest {

    @Nested
    class TextForm {

        @ParameterizedTest
        @ValueSource(
                strings = {"none", "tome:8", "tome-decreasing:8", "tome:8,8,4", "tome:8,0", "evit:0.7", "evit:0.5@2,5"})
        void canonicalTextRoundTrips(String text) {
            CompressionLevel level = CompressionLevel.parse(text);

            assertThat(level.toString()).isEqualTo(text);
            assertThat(CompressionLevel.parse(level.toString())).isEqualTo(level);
        }

        @Test
        void parsesToTheFactoryValues() {
            assertThat(CompressionLevel.parse("none")).isSameAs(CompressionLevel.none());
            assertThat(CompressionLevel.parse("tome:8")).isEqualTo(CompressionLevel.tome(8));
            assertThat(CompressionLevel.parse("tome-decreasing:8")).isEqualTo(CompressionLevel.tomeDecreasing(8));
            assertThat(CompressionLevel.parse("tome:8,8,4")).isEqualTo(CompressionLevel.tomeSchedule(8, 8, 4));
            assertThat(CompressionLevel.parse("evit:0.7")).isEqualTo(CompressionLevel.evit(0.7));
            assertThat(CompressionLevel.parse("evit:0.5@2,5")).isEqualTo(CompressionLevel.evit(0.5, 2, 5));
        }

        @Test
        void acceptsNonCanonicalSpellings() {
            assertThat(CompressionLevel.parse(" TOME:8 ")).isEqualTo(CompressionLevel.tome(8));
            assertThat(CompressionLevel.parse("tome:8, 8, 4, 0").toString()).isEqualTo("tome:8,8,4");
            assertThat(CompressionLevel.parse("evit:0.70@9,3,6").toString()).isEqualTo("evit:0.7");
            assertThat(CompressionLevel.parse("0")).isSameAs(CompressionLevel.none());
        }

        @Test
        void everyFactoryValueRoundTrips() {
            CompressionLevel[] levels = {
                CompressionLevel.none(),
                CompressionLevel.tome(1),
                CompressionLevel.tome(16),
                CompressionLevel.tomeDecreasing(8),
                CompressionLevel.tomeSchedule(8, 8, 4),
                CompressionLevel.tomeSchedule(new int[] {8}),
                CompressionLevel.tomeSchedule(0, 0, 5),
                CompressionLevel.evit(0.7),
                CompressionLevel.evit(0.5, 2, 5),
                CompressionLevel.evit(0.123456789)
            };
            for (CompressionLevel level : levels) {
                assertThat(CompressionLevel.parse(level.toString()))
                        .as("parse(\"%s\")", level)
                        .isEqualTo(level);
            }
        }

        @Test
        void oneBlockScheduleIsNotReadBackAsConstant() {
            // Regression: this was written "tome:8", which parses as r = 8 in every block.
            CompressionLevel firstBlockOnly = CompressionLevel.tomeSchedule(new int[] {8});

            CompressionLevel back = CompressionLevel.parse(firstBlockOnly.toString());

            assertThat(back.tomeSchedule(3)).containsExactly(8, 0, 0);
            assertThat(back).isNotEqualTo(CompressionLevel.tome(8));
        }

        @ParameterizedTest
        @ValueSource(
                strings = {
                    "",
                    "tome",
                    "tome:",
                    "tome:x",
                    "tome:8,",
                    "tome:,8",
                    "tome:-1",
                    "tome:8,-1",
                    "tome-decreasing:-2",
                    "tome-decreasing:8,4",
                    "evit:",
                    "evit:abc",
                    "evit:0",
                    "evit:1.5",
                    "evit:-0.5",
                    "evit:NaN",
                    "evit:0.7@",
                    "evit:0.7@3,3",
                    "evit:0.7@-1",
                    "merge:8"
                })
        void badTextIsRejectedWithAMessageQuotingIt(String text) {
            assertThatThrownBy(() -> CompressionLevel.parse(text))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'" + text + "'");
        }
    }

    @Nested
    class Validation {

        @Test
        void negativeRIsRejected() {
            assertThatThrownBy(() -> CompressionLevel.tome(-1))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("-1");
            assertThatThrownBy(() -> CompressionLevel.tomeDecreasing(-3))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("-3");
            assertThatThrownBy(() -> CompressionLevel.tomeSchedule(8, -2, 4))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("block 1")
                    .hasMessageContaining("-2");
        }

        @ParameterizedTest
        @ValueSource(
                doubles = {0.0, -0.1, 1.0000001, 2.0, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY})
        void keepRateOutsideZeroOneIsRejected(double rate) {
            assertThatThrownBy(() -> CompressionLevel.evit(rate))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("(0, 1]");
        }

        @Test
        void evitBlocksMustBeDistinctAndNonNegative() {
            assertThatThrownBy(() -> CompressionLevel.evit(0.7, 3, 3)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> CompressionLevel.evit(0.7, -1, 3)).isInstanceOf(IllegalArgumentException.class);
        }

        @Test
        void smallestPositiveKeepRateIsAccepted() {
            assertThat(CompressionLevel.evit(Double.MIN_VALUE).method()).isEqualTo(CompressionLevel.Method.EVIT);
        }
    }

    @Nested
    class Identities {

        @Test
        void zeroDegreesAreNone() {
            assertThat(CompressionLevel.tome(0)).isSameAs(CompressionLevel.none());
            assertThat(CompressionLevel.tomeDecreasing(0)).isSameAs(CompressionLevel.none());
            assertThat(CompressionLevel.tomeSchedule(0, 0, 0)).isSameAs(CompressionLevel.none());
            assertThat(CompressionLevel.tomeSchedule()).isSameAs(CompressionLevel.none());
            assertThat(CompressionLevel.evit(1.0)).isSameAs(CompressionLevel.none());
            assertThat(CompressionLevel.evit(0.7, new int[0])).isSameAs(CompressionLevel.none());
            assertThat(CompressionLevel.none().isNone()).isTrue();
            assertThat(CompressionLevel.tome(1).isNone()).isFalse();
        }

        @Test
        void equalValuesHaveEqualHashCodes() {
            assertThat(CompressionLevel.tome(8))
                    .isEqualTo(CompressionLevel.tome(8))
                    .hasSameHashCodeAs(CompressionLevel.tome(8));
            assertThat(CompressionLevel.evit(0.7, 9, 3, 6))
                    .isEqualTo(CompressionLevel.evit(0.7))
                    .hasSameHashCodeAs(CompressionLevel.evit(0.7));
            assertThat(CompressionLevel.tomeSchedule(8, 8, 4, 0, 0))
                    .isEqualTo(CompressionLevel.tomeSchedule(8, 8, 4))
                    .hasSameHashCodeAs(CompressionLevel.tomeSchedule(8, 8, 4));
        }

        @Test
        void differentLevelsAreNotEqual() {
            assertThat(CompressionLevel.tome(8))
                    .isNotEqualTo(CompressionLevel.tome(9))
                    .isNotEqualTo(CompressionLevel.tomeDecreasing(8))
                    .isNotEqualTo(CompressionLevel.tomeSchedule(8, 8, 8))
                    .isNotEqualTo(CompressionLevel.none())
                    .isNotEqualTo("tome:8");
            assertThat(CompressionLevel.evit(0.7)).isNotEqualTo(CompressionLevel.evit(0.7, 3, 6));
            assertThat(CompressionLevel.evit(0.7)).isNotEqualTo(CompressionLevel.evit(0.5));
        }

        @Test
        void everyFamilySurvivesJavaSerializationAsItsText() throws Exception {
            // Levels travel in Flink's serialized job graph (ladders, fixed level sources).
            CompressionLevel[] levels = {
                CompressionLevel.none(),
                CompressionLevel.tome(8),
                CompressionLevel.tomeDecreasing(8),
                CompressionLevel.tomeSchedule(new int[] {8}),
                CompressionLevel.evit(0.5, 2, 5),
                CompressionLevel.parse("diffrate:deit-s@2.9"),
                CompressionLevel.diffRate(DiffRateSchedule.of(new int[] {5, 4}, new int[] {5, 3})),
                CompressionLevel.parse("gtp:8,alpha=0.2,theta=0.6,graph=spatial,k=4,scale=off"),
                CompressionLevel.idleRatios(new double[] {0.5, 0.25}, new int[] {9, 3})
            };
            for (CompressionLevel level : levels) {
                CompressionLevel copy = roundTrip(level);

                assertThat(copy).as("%s", level).isEqualTo(level).hasToString(level.toString());
                assertThat(copy.method()).isEqualTo(level.method());
                assertThat(copy.tomeSchedule(12)).isEqualTo(level.tomeSchedule(12));
                assertThat(copy.evitBlocks()).isEqualTo(level.evitBlocks());
                assertThat(copy.diffRateSchedule()).isEqualTo(level.diffRateSchedule());
                assertThat(copy.gtpParams()).isEqualTo(level.gtpParams());
                assertThat(copy.idleSchedule().ratios(12))
                        .isEqualTo(level.idleSchedule().ratios(12));
            }
            assertThat(roundTrip(CompressionLevel.none())).isSameAs(CompressionLevel.none());
        }

        private CompressionLevel roundTrip(CompressionLevel level) throws Exception {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
                out.writeObject(level);
            }
            try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
                return (CompressionLevel) in.readObject();
            }
        }
    }

    @Nested
    class Schedules {

        @Test
        void constantScheduleRepeatsR() {
            assertThat(CompressionLevel.tome(8).tomeSchedule(12)).containsExactly(8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8);
        }

        @Test
        void decreasingScheduleMatchesToMeParseR() {
            // ToMe parse_r(12, (8, -1)): int(16 + i * (0 - 16) / 11), truncated toward zero.
            // By hand: 16 - 16i/11 = 16, 14.55, 13.09, 11.64, 10.18, 8.73, 7.27, 5.82, 4.36,
            // 2.91, 1.45, 0.
            assertThat(CompressionLevel.tomeDecreasing(8).tomeSchedule(12))
                    .containsExactly(16, 14, 13, 11, 10, 8, 7, 5, 4, 2, 1, 0);
        }

        @Test
        void decreasingScheduleOverOneBlockIsTwoR() {
            // parse_r divides by zero here; we take the first value, 2r.
            assertThat(CompressionLevel.tomeDecreasing(4).tomeSchedule(1)).containsExactly(8);
        }

        @Test
        void explicitScheduleIsPaddedWithZeros() {
            assertThat(CompressionLevel.tomeSchedule(8, 8, 4).tomeSchedule(6)).containsExactly(8, 8, 4, 0, 0, 0);
        }

        @Test
        void explicitScheduleIsTruncatedToTheDepth() {
            assertThat(CompressionLevel.tomeSchedule(8, 7, 6, 5).tomeSchedule(2))
                    .containsExactly(8, 7);
        }

        @Test
        void explicitScheduleIsCopied() {
            int[] values = {8, 8, 4};
            CompressionLevel level = CompressionLevel.tomeSchedule(values);
            values[0] = 1;

            assertThat(level.tomeSchedule(3)).containsExactly(8, 8, 4);
            level.tomeSchedule(3)[1] = 99;
            assertThat(level.tomeSchedule(3)).containsExactly(8, 8, 4);
        }

        @Test
        void nonToMeLevelsMergeNothing() {
            assertThat(CompressionLevel.none().tomeSchedule(12)).containsOnly(0).hasSize(12);
            assertThat(CompressionLevel.evit(0.7).tomeSchedule(12))
                    .containsOnly(0)
                    .hasSize(12);
        }

        @Test
        void tomeDegreeIsDefinedForConstantLevelsOnly() {
            assertThat(CompressionLevel.none().tomeDegree()).hasValue(0);
            assertThat(CompressionLevel.tome(13).tomeDegree()).hasValue(13);
            assertThat(CompressionLevel.tomeDecreasing(8).tomeDegree()).isEmpty();
            assertThat(CompressionLevel.tomeSchedule(8, 8, 8).tomeDegree()).isEmpty();
            assertThat(CompressionLevel.evit(0.7).tomeDegree()).isEmpty();
        }

        @Test
        void evitAccessors() {
            CompressionLevel level = CompressionLevel.evit(0.5, 5, 2);

            assertThat(level.keepRate()).isEqualTo(0.5);
            assertThat(level.evitBlocks()).containsExactly(2, 5);
            assertThat(level.evitReducesAt(2)).isTrue();
            assertThat(level.evitReducesAt(3)).isFalse();
            assertThat(CompressionLevel.evit(0.7).evitBlocks()).containsExactly(3, 6, 9);
            assertThat(CompressionLevel.tome(8).keepRate()).isEqualTo(1.0);
            assertThat(CompressionLevel.tome(8).evitBlocks()).isEmpty();
            assertThat(CompressionLevel.tome(8).evitReducesAt(3)).isFalse();
        }

        @Test
        void labelParts() {
            assertThat(CompressionLevel.tome(8).methodName()).isEqualTo("tome");
            assertThat(CompressionLevel.tome(8).scheduleText()).isEqualTo("8");
            assertThat(CompressionLevel.evit(0.5, 2, 5).scheduleText()).isEqualTo("0.5@2,5");
            assertThat(CompressionLevel.none().methodName()).isEqualTo("none");
            assertThat(CompressionLevel.none().scheduleText()).isEmpty();
        }
    }
}
