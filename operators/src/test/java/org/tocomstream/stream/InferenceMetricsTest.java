package org.tocomstream.stream;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.flink.metrics.testutils.MetricListener;
import org.junit.jupiter.api.Test;

class InferenceMetricsTest {

    @Test
    void registersEveryMetricUnderItsDocumentedName() {
        MetricListener listener = new MetricListener();
        InferenceMetrics m = new InferenceMetrics(listener.getMetricGroup());
        m.framesIn.inc(3);
        m.frameAgeMs.update(10);
        m.frameAgeMs.update(30);
        m.inFlightBatches = 2;
        m.queuedFrames = 17;
        m.compressionLevel = "tome:8";

        assertThat(listener.getCounter(InferenceMetrics.FRAMES_IN))
                .get()
                .extracting(c -> c.getCount())
                .isEqualTo(3L);
        assertThat(listener.getCounter(InferenceMetrics.FRAMES_OUT)).isPresent();
        assertThat(listener.getCounter(InferenceMetrics.BATCHES)).isPresent();
        assertThat(listener.getCounter(InferenceMetrics.COMPENSATED_BATCHES)).isPresent();
        assertThat(listener.getMeter(InferenceMetrics.FRAMES_IN_RATE)).isPresent();
        for (String h : new String[] {
            InferenceMetrics.BATCH_SIZE, InferenceMetrics.BATCH_LATENCY_MS,
            InferenceMetrics.INFERENCE_MS, InferenceMetrics.FRAME_AGE_MS
        }) {
            assertThat(listener.getHistogram(h)).as(h).isPresent();
        }
        assertThat(listener.<Long>getGauge(InferenceMetrics.FRAME_AGE_P50_MS))
                .get()
                .extracting(g -> g.getValue())
                .isEqualTo(10L);
        assertThat(listener.<Long>getGauge(InferenceMetrics.FRAME_AGE_P99_MS))
                .get()
                .extracting(g -> g.getValue())
                .isEqualTo(30L);
        assertThat(listener.<Integer>getGauge(InferenceMetrics.IN_FLIGHT_BATCHES))
                .get()
                .extracting(g -> g.getValue())
                .isEqualTo(2);
        assertThat(listener.<Integer>getGauge(InferenceMetrics.QUEUED_FRAMES))
                .get()
                .extracting(g -> g.getValue())
                .isEqualTo(17);
        assertThat(listener.<String>getGauge(InferenceMetrics.COMPRESSION_LEVEL))
                .get()
                .extracting(g -> g.getValue())
                .isEqualTo("tome:8");
    }

    @Test
    void theDeviceGaugesSayWhichDeviceServesTheSubtask() {
        MetricListener gpu = new MetricListener();
        new InferenceMetrics(gpu.getMetricGroup(), "gpu3");
        assertThat(gpu.<String>getGauge(InferenceMetrics.DEVICE))
                .get()
                .extracting(g -> g.getValue())
                .isEqualTo("gpu3");
        assertThat(gpu.<Integer>getGauge(InferenceMetrics.GPU_INDEX))
                .get()
                .extracting(g -> g.getValue())
                .isEqualTo(3);

        MetricListener cpu = new MetricListener();
        new InferenceMetrics(cpu.getMetricGroup(), "cpu");
        assertThat(cpu.<Integer>getGauge(InferenceMetrics.GPU_INDEX))
                .get()
                .extracting(g -> g.getValue())
                .isEqualTo(-1);

        MetricListener unknown = new MetricListener();
        new InferenceMetrics(unknown.getMetricGroup());
        assertThat(unknown.<String>getGauge(InferenceMetrics.DEVICE))
                .get()
                .extracting(g -> g.getValue())
                .isEqualTo("");
    }

    @Test
    void theFullQualityLoadGaugeShowsTheLatestPlansLoad() {
        MetricListener listener = new MetricListener();
        InferenceMetrics m = new InferenceMetrics(listener.getMetricGroup());
        assertThat(listener.<Double>getGauge(InferenceMetrics.FULL_QUALITY_LOAD)
                        .get()
                        .getValue())
                .isNaN();
        m.planned(42, new BatchPlan(org.tocomstream.compress.CompressionLevel.none(), 0, null, "", false, 1.25));
        assertThat(listener.<Double>getGauge(InferenceMetrics.FULL_QUALITY_LOAD)
                        .get()
                        .getValue())
                .isEqualTo(1.25);
        assertThat(listener.<Long>getGauge(InferenceMetrics.UPSTREAM_PENDING_RECORDS)
                        .get()
                        .getValue())
                .isEqualTo(42L);
    }

    @Test
    void histogramWindowKeepsTheLatestValues() {
        WindowHistogram h = new WindowHistogram(4);
        for (long v = 1; v <= 6; v++) {
            h.update(v);
        }
        assertThat(h.getCount()).isEqualTo(6);
        assertThat(h.getStatistics().getValues()).containsExactly(3, 4, 5, 6);
        assertThat(h.getStatistics().getMin()).isEqualTo(3);
        assertThat(h.getStatistics().getMax()).isEqualTo(6);
        assertThat(h.getStatistics().getMean()).isEqualTo(4.5);
        assertThat(h.quantile(0.5)).isEqualTo(4);
        assertThat(new WindowHistogram(4).quantile(0.99)).isZero();
    }
}
