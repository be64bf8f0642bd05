package org.tocomstream.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.tocomstream.stream.testutils.Frames.frame;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.metrics.CharacterFilter;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.Meter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.SimpleCounter;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.stream.testutils.RecordingLevelSource;
import org.tocomstream.stream.testutils.TestingPredictor;

class BacklogBridgeReporterTest {

    /** A metric group that only carries scope variables, as a reporter sees them. */
    private static MetricGroup group(String jobId, int subtask) {
        Map<String, String> vars = Map.of("<job_id>", jobId, "<subtask_index>", String.valueOf(subtask));
        return new MetricGroup() {
            @Override
            public Counter counter(String name) {
                return new SimpleCounter();
            }

            @Override
            public <C extends Counter> C counter(String name, C counter) {
                return counter;
            }

            @Override
            public <T, G extends Gauge<T>> G gauge(String name, G gauge) {
                return gauge;
            }

            @Override
            public <H extends Histogram> H histogram(String name, H histogram) {
                return histogram;
            }

            @Override
            public <M extends Meter> M meter(String name, M meter) {
                return meter;
            }

            @Override
            public MetricGroup addGroup(String name) {
                return this;
            }

            @Override
            public MetricGroup addGroup(String key, String value) {
                return this;
            }

            @Override
            public String[] getScopeComponents() {
                return new String[0];
            }

            @Override
            public Map<String, String> getAllVariables() {
                return vars;
            }

            @Override
            public String getMetricIdentifier(String metricName) {
                return metricName;
            }

            @Override
            public String getMetricIdentifier(String metricName, CharacterFilter filter) {
                return metricName;
            }
        };
    }

    @Test
    void readsTheLiveGaugeOfTheSourceSubtaskAndForgetsItWhenRemoved() {
        BacklogBridgeReporter reporter =
                (BacklogBridgeReporter) new BacklogBridgeReporterFactory().createMetricReporter(null);
        AtomicLong pending = new AtomicLong(42);
        Gauge<Long> gauge = pending::get;
        reporter.notifyOfAddedMetric(gauge, "pendingRecords", group("job-a", 1));
        reporter.notifyOfAddedMetric((Gauge<Long>) () -> 7L, "numRecordsIn", group("job-a", 0));

        assertThat(BacklogBridgeReporter.pendingRecords("job-a", 1)).isEqualTo(42);
        pending.set(1000);
        assertThat(BacklogBridgeReporter.pendingRecords("job-a", 1)).isEqualTo(1000);
        assertThat(BacklogBridgeReporter.pendingRecords("job-a", 0)).isEqualTo(LoadSignals.UNKNOWN);
        assertThat(BacklogBridgeReporter.pendingRecords("job-b", 1)).isEqualTo(LoadSignals.UNKNOWN);

        reporter.notifyOfRemovedMetric(gauge, "pendingRecords", group("job-a", 1));
        assertThat(BacklogBridgeReporter.pendingRecords("job-a", 1)).isEqualTo(LoadSignals.UNKNOWN);
    }

    @Test
    void aGaugeWithoutAValueIsNoSignal() {
        BacklogBridgeReporter reporter = new BacklogBridgeReporter();
        reporter.notifyOfAddedMetric((Gauge<Long>) () -> null, "pendingRecords", group("job-c", 0));
        assertThat(BacklogBridgeReporter.pendingRecords("job-c", 0)).isEqualTo(LoadSignals.UNKNOWN);
        reporter.notifyOfAddedMetric(
                (Gauge<Long>) () -> {
                    throw new IllegalStateException("closed");
                },
                "pendingRecords",
                group("job-c", 0));
        assertThat(BacklogBridgeReporter.pendingRecords("job-c", 0)).isEqualTo(LoadSignals.UNKNOWN);
    }

    @Test
    void theOperatorPassesTheBridgedBacklogAndUnknownWithoutIt() throws Exception {
        RecordingLevelSource levels = new RecordingLevelSource(s -> CompressionLevel.none());
        try (OneInputStreamOperatorTestHarness<DecodedFrame, LabelRecord> harness =
                new OneInputStreamOperatorTestHarness<>(new BatchInferenceOperatorFactory(
                        new BatchingConfig(1, Duration.ofMillis(50), 2),
                        3,
                        TestingPredictor.simple().factory(),
                        levels))) {
            harness.setProcessingTime(1000);
            harness.open();
            harness.processElement(new StreamRecord<>(frame("a", 0, 900, 1), 900L));

            String job = harness.getEnvironment().getJobID().toString();
            new BacklogBridgeReporter().notifyOfAddedMetric((Gauge<Long>) () -> 250L, "pendingRecords", group(job, 0));
            harness.processElement(new StreamRecord<>(frame("a", 1, 900, 1), 900L));
            harness.endInput();
        }
        assertThat(levels.seen())
                .extracting(LoadSignals::upstreamBacklogFrames)
                .containsExactly(LoadSignals.UNKNOWN, 250L);
        assertThat(levels.seen()).extracting(LoadSignals::maxInFlight).containsOnly(2);
    }
}
