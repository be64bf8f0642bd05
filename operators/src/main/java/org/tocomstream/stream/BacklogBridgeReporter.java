package org.tocomstream.stream;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.reporter.MetricReporter;

/**
 * Makes the Kafka source's {@code pendingRecords} gauge (records not yet fetched, per source
 * subtask) readable by the inference operator in the same JVM, as the upstream-backlog signal of
 * the load controller. Flink has no API to look up another operator's metric; a reporter sees
 * every metric the TaskManager registers, so this one keeps the live gauge objects in a static map
 * keyed by job id and subtask index, and the operator reads them when it forms a batch. Gauges
 * are evaluated on read: no reporting interval is involved.
 *
 * <p>Enable it with
 *
 * <pre>
 * metrics.reporter.backlog.factory.class: org.tocomstream.stream.BacklogBridgeReporterFactory
 * </pre>
 *
 * (the local {@code run} does). On a standalone cluster the reporter must be loaded by the same
 * class loader as the operator reads it from: put a jar with only this class and its factory on
 * the Flink classpath ({@code lib/}) and add {@code org.tocomstream.stream.BacklogBridge} to {@code
 * classloader.parent-first-patterns.additional}; a copy inside the job jar alone is a separate,
 * empty map. Without the reporter, or for a source that does not report {@code pendingRecords},
 * {@link #pendingRecords} answers {@link LoadSignals#UNKNOWN} and the controller works from the
 * operator's own signals.
 */
public final class BacklogBridgeReporter implements MetricReporter {

    /** The source metric bridged. */
    public static final String PENDING_RECORDS = "pendingRecords";

    /** {@link LoadSignals#UNKNOWN}, repeated so this class needs no other to load. */
    private static final long UNKNOWN = -1;

    private record Key(String jobId, int subtask) {}

    private static final Map<Key, Gauge<?>> PENDING = new ConcurrentHashMap<>();

    @Override
    public void open(MetricConfig config) {}

    @Override
    public void close() {}

    @Override
    public void notifyOfAddedMetric(Metric metric, String name, MetricGroup group) {
        Key key = key(name, group);
        if (key != null && metric instanceof Gauge) {
            PENDING.put(key, (Gauge<?>) metric);
        }
    }

    @Override
    public void notifyOfRemovedMetric(Metric metric, String name, MetricGroup group) {
        Key key = key(name, group);
        if (key != null) {
            PENDING.remove(key, metric);
        }
    }

    private static Key key(String name, MetricGroup group) {
        if (!PENDING_RECORDS.equals(name)) {
            return null;
        }
        Map<String, String> vars = group.getAllVariables();
        String job = vars.get("<job_id>");
        String subtask = vars.get("<subtask_index>");
        if (job == null || subtask == null) {
            return null;
        }
        try {
            return new Key(job, Integer.parseInt(subtask));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /**
     * The current {@code pendingRecords} of source subtask {@code subtask} of job {@code jobId},
     * or {@link LoadSignals#UNKNOWN} when no such gauge is registered here or it has no value yet
     * (a KafkaSource reports it only after its first fetch).
     */
    public static long pendingRecords(String jobId, int subtask) {
        Gauge<?> gauge = PENDING.get(new Key(jobId, subtask));
        if (gauge == null) {
            return UNKNOWN;
        }
        try {
            Object value = gauge.getValue();
            if (value instanceof Number) {
                long n = ((Number) value).longValue();
                return n >= 0 ? n : UNKNOWN;
            }
        } catch (RuntimeException e) {
            // A gauge of a source being torn down: no signal this time.
        }
        return UNKNOWN;
    }
}
