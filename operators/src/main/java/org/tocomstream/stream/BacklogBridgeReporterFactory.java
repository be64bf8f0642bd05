package org.tocomstream.stream;

import java.util.Properties;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;

/** Creates the {@link BacklogBridgeReporter}; found by Flink through {@code ServiceLoader}. */
public final class BacklogBridgeReporterFactory implements MetricReporterFactory {

    /** The value of {@code metrics.reporter.<name>.factory.class} that enables the bridge. */
    public static final String FACTORY_CLASS = BacklogBridgeReporterFactory.class.getName();

    @Override
    public MetricReporter createMetricReporter(Properties properties) {
        return new BacklogBridgeReporter();
    }
}
