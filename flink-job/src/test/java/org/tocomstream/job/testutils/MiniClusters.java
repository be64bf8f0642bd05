package org.tocomstream.job.testutils;

import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;

/** The MiniCluster the pipeline ITs run on: one TaskManager with two slots (parallelism 2). */
public final class MiniClusters {

    private MiniClusters() {}

    public static MiniClusterExtension oneTaskManagerTwoSlots() {
        return new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
                .setNumberTaskManagers(1)
                .setNumberSlotsPerTaskManager(2)
                .build());
    }
}
