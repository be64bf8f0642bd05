package org.tocomstream.job.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.tocomstream.compress.CompressionLevel;

/** Every error of the hand-written parser, its typed getters and the compression options. */
class OptionParserTest {

    private final OptionParser parser = CompressionOptions.declare(new OptionParser("predict"))
            .value("--model", "DIR", "model directory")
            .value("--preset", "NAME", "preset")
            .value("--batch", "N", "batch")
            .value("--levels", "LIST", "levels")
            .flag("--verbose", "verbose");

    private ParsedArgs parse(String... args) throws UsageException {
        return parser.parse(args);
    }

    @Nested
    class Grammar {
        @Test
        void valuesFlagsAndPositionals() throws UsageException {
            ParsedArgs a = parse("--model", "m", "x.png", "--verbose", "--batch=4", "--", "--odd");
            assertThat(a.string("--model")).contains("m");
            assertThat(a.has("--verbose")).isTrue();
            assertThat(a.positiveInt("--batch", 8)).isEqualTo(4);
            assertThat(a.positionals()).containsExactly("x.png", "--odd");
        }

        @Test
        void aNegativeNumberIsAValueNotAnOption() {
            assertThatThrownBy(() -> parse("--tome", "-1").nonNegativeInt("--tome", 0))
                    .hasMessage("predict: --tome: expected a non-negative integer but got '-1'");
        }

        @Test
        void unknownOptionIsNamedWithAHint() {
            assertThatThrownBy(() -> parse("--tomee", "4"))
                    .isInstanceOf(UsageException.class)
                    .hasMessage("predict: unknown option '--tomee' (did you mean --tome?)");
            assertThatThrownBy(() -> parse("--frobnicate")).hasMessage("predict: unknown option '--frobnicate'");
            assertThatThrownBy(() -> parse("-x")).hasMessage("predict: unknown option '-x'");
        }

        @Test
        void missingValueAtTheEnd() {
            assertThatThrownBy(() -> parse("x.png", "--tome"))
                    .hasMessage("predict: --tome: missing value (expected R)");
        }

        @Test
        void missingValueBeforeAnotherOption() {
            assertThatThrownBy(() -> parse("--model", "--tome", "4"))
                    .hasMessage("predict: --model: missing value (expected DIR)");
        }

        @Test
        void flagWithAValue() {
            assertThatThrownBy(() -> parse("--verbose=yes"))
                    .hasMessage("predict: --verbose: takes no value but got 'yes'");
        }

        @Test
        void optionGivenTwice() {
            assertThatThrownBy(() -> parse("--tome", "4", "--tome=8"))
                    .hasMessage("predict: --tome: given more than once");
        }
    }

    @Nested
    class TypedGetters {
        @Test
        void nonNegativeInt() {
            assertThatThrownBy(() -> parse("--tome", "x").nonNegativeInt("--tome", 0))
                    .hasMessage("predict: --tome: expected a non-negative integer but got 'x'");
        }

        @Test
        void positiveInt() {
            assertThatThrownBy(() -> parse("--batch", "0").positiveInt("--batch", 8))
                    .hasMessage("predict: --batch: expected a positive integer but got '0'");
            assertThatThrownBy(() -> parse("--batch", "1.5").positiveInt("--batch", 8))
                    .hasMessage("predict: --batch: expected a positive integer but got '1.5'");
        }

        @Test
        void positiveIntList() throws UsageException {
            assertThat(parse("--batch", "1, 8,32").positiveIntList("--batch", List.of()))
                    .containsExactly(1, 8, 32);
            assertThat(parse().positiveIntList("--batch", List.of(2))).containsExactly(2);
            assertThatThrownBy(() -> parse("--batch", "1,x").positiveIntList("--batch", List.of()))
                    .hasMessage("predict: --batch: expected a comma-separated list of positive"
                            + " integers but got '1,x'");
        }

        @Test
        void listWithAnEmptyItem() {
            assertThatThrownBy(() -> parse("--levels", "0,,4").list("--levels"))
                    .hasMessage("predict: --levels: expected a comma-separated list without empty"
                            + " items but got '0,,4'");
        }

        @Test
        void levelListsSplitOnSemicolonsWhenThereAreAnySoLevelTextsMayHoldCommas() throws Exception {
            assertThat(parse("--levels", "0,4,evit:0.7").levelList("--levels")).containsExactly("0", "4", "evit:0.7");
            assertThat(parse("--levels", "tome:8,4; gtp:8,theta=0.6 ;idle:0.7,0.5@4,8")
                            .levelList("--levels"))
                    .containsExactly("tome:8,4", "gtp:8,theta=0.6", "idle:0.7,0.5@4,8");
            assertThatThrownBy(() -> parse("--levels", "tome:8;;none").levelList("--levels"))
                    .hasMessage("predict: --levels: expected a semicolon-separated list without empty"
                            + " items but got 'tome:8;;none'");
        }

        @Test
        void emptyPath() {
            assertThatThrownBy(() -> parse("--model=").path("--model"))
                    .hasMessage("predict: --model: expected a path but got ''");
        }

        @Test
        void mutuallyExclusive() {
            assertThatThrownBy(() -> parse("--model", "m", "--preset", "p").atMostOne("--model", "--preset"))
                    .hasMessage("predict: --model and --preset cannot be used together");
        }

        @Test
        void requires() {
            assertThatThrownBy(() -> parse("--preset", "p").requires("--preset", "--model"))
                    .hasMessage("predict: --preset: requires --model");
        }
    }

    @Nested
    class Levels {
        @Test
        void eachOptionGivesItsLevel() throws UsageException {
            assertThat(CompressionOptions.level(parse())).isEqualTo(CompressionLevel.none());
            assertThat(CompressionOptions.level(parse("--tome", "4"))).isEqualTo(CompressionLevel.tome(4));
            assertThat(CompressionOptions.level(parse("--evit", "0.7"))).isEqualTo(CompressionLevel.evit(0.7));
            assertThat(CompressionOptions.level(parse("--schedule", "8,4,2")))
                    .isEqualTo(CompressionLevel.tomeSchedule(8, 4, 2));
            assertThat(CompressionOptions.level(parse("--level", "tome-decreasing:4")))
                    .isEqualTo(CompressionLevel.tomeDecreasing(4));
        }

        @Test
        void atMostOneLevelOption() {
            assertThatThrownBy(() -> CompressionOptions.level(parse("--tome", "4", "--evit", "0.7")))
                    .hasMessage("predict: --tome and --evit cannot be used together");
            assertThatThrownBy(() -> CompressionOptions.level(parse("--schedule", "4", "--level", "none")))
                    .hasMessage("predict: --schedule and --level cannot be used together");
        }

        @Test
        void badEvit() {
            assertThatThrownBy(() -> CompressionOptions.level(parse("--evit", "1.5")))
                    .hasMessage("predict: --evit: expected a keep rate in (0, 1] but got '1.5'");
            assertThatThrownBy(() -> CompressionOptions.level(parse("--evit", "lots")))
                    .hasMessage("predict: --evit: expected a keep rate in (0, 1] but got 'lots'");
        }

        @Test
        void badSchedule() {
            for (String bad : new String[] {"8,-1", "8,,4", "8,x"}) {
                assertThatThrownBy(() -> CompressionOptions.level(parse("--schedule", bad)))
                        .hasMessage("predict: --schedule: expected comma-separated non-negative" + " integers but got '"
                                + bad + "'");
            }
        }

        @Test
        void badLevelText() {
            assertThatThrownBy(() -> CompressionOptions.level(parse("--level", "merge:4")))
                    .hasMessageStartingWith("predict: --level: invalid compression level 'merge:4'");
        }

        @Test
        void levelListItems() throws UsageException {
            ParsedArgs a = parse();
            assertThat(CompressionOptions.parseLevel(a, "--levels", "0")).isEqualTo(CompressionLevel.none());
            assertThat(CompressionOptions.parseLevel(a, "--levels", "16")).isEqualTo(CompressionLevel.tome(16));
            assertThat(CompressionOptions.parseLevel(a, "--levels", "evit:0.7")).isEqualTo(CompressionLevel.evit(0.7));
            assertThatThrownBy(() -> CompressionOptions.parseLevel(a, "--levels", "-4"))
                    .hasMessage("predict: --levels: expected a non-negative ToMe r but got '-4'");
        }
    }

    @Nested
    class Numbers {
        private ParsedArgs batch(String value) throws UsageException {
            return parse("--batch", value);
        }

        @Test
        void decimalNumbersInRange() throws UsageException {
            assertThat(batch("1e-3").number("--batch", x -> x > 0, "a number > 0"))
                    .hasValue(1e-3);
            assertThat(batch(".5").number("--batch", 2, x -> x > 0, "a number > 0"))
                    .isEqualTo(0.5);
            assertThat(parse().number("--batch", 2, x -> x > 0, "a number > 0")).isEqualTo(2);
        }

        @Test
        void nonDecimalTextAndOutOfRangeValuesAreRejected() {
            for (String bad : new String[] {"NaN", "Infinity", "0x1p3", "1d", "1e", "", "0"}) {
                assertThatThrownBy(() -> batch(bad).number("--batch", x -> x > 0, "a number > 0"))
                        .hasMessage("predict: --batch: expected a number > 0 but got '" + bad + "'");
            }
        }

        @Test
        void longsAndRequiredOptions() throws UsageException {
            assertThat(batch("-7").longValue("--batch")).hasValue(-7);
            assertThatThrownBy(() -> batch("1.5").longValue("--batch"))
                    .hasMessage("predict: --batch: expected an integer but got '1.5'");
            assertThatThrownBy(() -> parse().required("--model", "DIR"))
                    .hasMessage("predict: missing required option --model DIR");
        }
    }
}
