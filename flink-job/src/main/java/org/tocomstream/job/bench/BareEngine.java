package org.tocomstream.job.bench;

import ai.djl.Device;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.job.run.GeneratedFrames;
import org.tocomstream.model.ImagePreprocessor;
import org.tocomstream.model.ModelSpec;
import org.tocomstream.model.VitModel;

/**
 * The yardstick of {@code bench-pipeline}: the bare engine's images/s, {@code VitModel.logits}
 * called directly, as the inference operator calls it, with no Flink or Kafka around it.
 */
final class BareEngine {

    private BareEngine() {}

    /**
     * {@code logits} on one fixed batch from {@code callers} threads at once on one shared model
     * (the job's inference threads), 3 s warm-up, then batches for at least 10 s.
     */
    static double imagesPerSecond(
            Path dir, ModelSpec spec, GeneratedFrames scenes, int batch, CompressionLevel level, int callers)
            throws Exception {
        ImagePreprocessor pre = new ImagePreprocessor(spec.preprocessing());
        int per = spec.preprocessing().channels()
                * spec.preprocessing().inputSize()
                * spec.preprocessing().inputSize();
        float[] pixels = new float[batch * per];
        for (int i = 0; i < batch; i++) {
            float[] one = pre.preprocess(scenes.next(i % 4, i / 4).bytes());
            System.arraycopy(one, 0, pixels, i * per, per);
        }
        long[] shape = {
            batch,
            spec.preprocessing().channels(),
            spec.preprocessing().inputSize(),
            spec.preprocessing().inputSize()
        };
        try (VitModel model = VitModel.load(dir, Device.cpu())) {
            long start = System.nanoTime() + 3_000_000_000L; // warm-up until then
            long end = start + 10_000_000_000L;
            ExecutorService pool = Executors.newFixedThreadPool(callers);
            try {
                List<Future<long[]>> runs = new ArrayList<>();
                for (int c = 0; c < callers; c++) {
                    runs.add(pool.submit(() -> {
                        long n = 0;
                        long first = -1;
                        long last = -1;
                        while (System.nanoTime() < end || n < 20) {
                            model.logits(pixels, shape, level);
                            long now = System.nanoTime();
                            if (now >= start) {
                                if (first < 0) {
                                    first = now; // batches counted from the first one ending after start
                                } else {
                                    n++;
                                }
                                last = now;
                            }
                        }
                        return new long[] {n, first, last};
                    }));
                }
                double imagesPerSecond = 0;
                for (Future<long[]> f : runs) {
                    long[] r = f.get();
                    imagesPerSecond += r[0] * batch / ((r[2] - r[1]) / 1e9);
                }
                return imagesPerSecond;
            } finally {
                pool.shutdownNow();
            }
        }
    }
}
