package org.tocomstream.job.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class DeadLetterLimitTest {

    private static final int MIB = 1 << 20;
    private static final String TOPIC = "the max.message.bytes of dead-letter topic 'dlq'";

    @Nested
    class Choosing {

        @Test
        void aTopicThatAcceptsLessThanTheRequestSizeLowersTheBudget() {
            DeadLetterLimit.Result r = DeadLetterLimit.choose(MIB, TOPIC, Optional.of("200000"));

            assertThat(r.budget()).isEqualTo(200_000);
            assertThat(r.line())
                    .isEqualTo("dead letters: written whole up to 200000 bytes, the max.message.bytes of"
                            + " dead-letter topic 'dlq' (below the sinks' max.request.size, 1048576 bytes);"
                            + " larger ones without their value");
            assertThat(r.warning()).isEmpty();
            assertThat(r.error()).isEmpty();
        }

        @Test
        void aTopicThatAcceptsMoreKeepsTheRequestSize() {
            // Kafka's defaults: message.max.bytes 1048588 against max.request.size 1048576.
            DeadLetterLimit.Result r = DeadLetterLimit.choose(MIB, TOPIC, Optional.of("1048588"));

            assertThat(r.budget()).isEqualTo(MIB);
            assertThat(r.line())
                    .startsWith("dead letters: written whole up to 1048576 bytes, the sinks'"
                            + " max.request.size (the max.message.bytes of dead-letter topic 'dlq' is 1048588 bytes)");
            assertThat(r.warning()).isEmpty();
        }

        @Test
        void anUnreadableLimitKeepsTheRequestSizeAndWarnsNamingTheSetting() {
            for (Optional<String> unreadable : List.of(Optional.<String>empty(), Optional.of("lots"))) {
                DeadLetterLimit.Result r = DeadLetterLimit.choose(MIB, TOPIC, unreadable);

                assertThat(r.budget()).isEqualTo(MIB);
                assertThat(r.error()).isEmpty();
                assertThat(r.warning())
                        .hasValueSatisfying(w -> assertThat(w)
                                .startsWith("could not read the max.message.bytes of dead-letter topic 'dlq'")
                                .contains("max.request.size (1048576 bytes)", "kafka.properties"));
            }
        }

        @Test
        void aTopicTooSmallForADeadLetterWithoutItsValueIsAnError() {
            DeadLetterLimit.Result r = DeadLetterLimit.choose(MIB, TOPIC, Optional.of("1000"));

            assertThat(r.error())
                    .hasValueSatisfying(e -> assertThat(e)
                            .startsWith("the max.message.bytes of dead-letter topic 'dlq' is 1000 bytes, below the"
                                    + " 65536 bytes"));
        }
    }

    @Nested
    class Budget {

        @Test
        void withoutTheCheckTheBudgetIsTheRequestSize() {
            Configuration conf = new Configuration();
            assertThat(DeadLetterLimit.budget(conf)).isEqualTo(MIB);

            conf.set(StreamJobOptions.KAFKA_PROPERTIES, Map.of("max.request.size", "300000"));
            assertThat(DeadLetterLimit.budget(conf)).isEqualTo(300_000);
        }

        @Test
        void theCheckedLimitLowersItAndNeverRaisesIt() {
            Configuration conf = new Configuration();
            new DeadLetterLimit.Result(200_000, "", Optional.empty(), Optional.empty()).applyTo(conf);
            assertThat(DeadLetterLimit.budget(conf)).isEqualTo(200_000);

            conf.set(StreamJobOptions.KAFKA_PROPERTIES, Map.of("max.request.size", "150000"));
            assertThat(DeadLetterLimit.budget(conf)).isEqualTo(150_000);
        }
    }
}
