package org.tocomstream.stream.testutils;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.compress.TokenGeometry;
import org.tocomstream.stream.BatchPredictor;
import org.tocomstream.stream.PredictorContext;
import org.tocomstream.stream.PredictorFactory;

/**
 * A predictor with canned logits: frame {@code i} of a batch gets its highest logit at class
 * {@code (int) pixels[i * perFrame]}, so a label can be traced back to the frame it belongs to.
 * Records every call (batch size, level, thread), the calls running at once, and whether it was
 * closed. A {@link Behaviour} runs at the start of each call to block, slow down or throw.
 */
public final class TestingPredictor implements BatchPredictor {

    /**
     * Runs at the start of call {@code index} (0-based, in the order calls start) on the
     * inference thread, with the call's input.
     */
    @FunctionalInterface
    public interface Behaviour {
        void onCall(int index, float[] pixels, int batchSize, CompressionLevel level) throws Exception;
    }

    /** One recorded call. */
    public record Call(int batchSize, CompressionLevel level, String thread) {}

    private static final Map<Integer, TestingPredictor> REGISTRY = new ConcurrentHashMap<>();
    private static final AtomicInteger IDS = new AtomicInteger();

    private final List<String> labels;
    private final int perFrame;
    private final Behaviour behaviour;
    private final List<Call> calls = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger callIndex = new AtomicInteger();
    private final AtomicInteger running = new AtomicInteger();
    private final AtomicInteger maxRunning = new AtomicInteger();
    private final AtomicInteger finished = new AtomicInteger();
    private final List<PredictorContext> contexts = Collections.synchronizedList(new ArrayList<>());
    private volatile boolean closed;
    private volatile TokenGeometry geometry;
    private volatile String device;

    public TestingPredictor(int classes, int perFrame, Behaviour behaviour) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < classes; i++) {
            names.add("class_" + i);
        }
        this.labels = List.copyOf(names);
        this.perFrame = perFrame;
        this.behaviour = behaviour;
    }

    /** This predictor, reporting {@code geometry} as its model's ({@link BatchPredictor#geometry}). */
    public TestingPredictor withGeometry(TokenGeometry geometry) {
        this.geometry = geometry;
        return this;
    }

    /** This predictor, reporting {@code device} as its model's ({@link BatchPredictor#device}). */
    public TestingPredictor withDevice(String device) {
        this.device = device;
        return this;
    }

    @Override
    public String device() {
        return device;
    }

    @Override
    public Optional<TokenGeometry> geometry() {
        return Optional.ofNullable(geometry);
    }

    /** 4 classes, 4 values per frame, no special behaviour. */
    public static TestingPredictor simple() {
        return new TestingPredictor(4, 4, (i, px, n, level) -> {});
    }

    /**
     * A factory handing out this predictor. It refers to it through a static registry, so it
     * survives the serialization Flink applies to operator factories.
     */
    public PredictorFactory factory() {
        int id = IDS.incrementAndGet();
        REGISTRY.put(id, this);
        return new Factory(id);
    }

    private record Factory(int id) implements PredictorFactory {
        @Override
        public BatchPredictor open(PredictorContext context) {
            TestingPredictor p = REGISTRY.get(id);
            p.contexts.add(context);
            return p;
        }
    }

    @Override
    public String modelId() {
        return "testing@00000000";
    }

    @Override
    public List<String> labels() {
        return labels;
    }

    @Override
    public float[][] logits(float[] pixels, int batchSize, CompressionLevel level) throws Exception {
        int now = running.incrementAndGet();
        maxRunning.accumulateAndGet(now, Math::max);
        try {
            calls.add(new Call(batchSize, level, Thread.currentThread().getName()));
            behaviour.onCall(callIndex.getAndIncrement(), pixels, batchSize, level);
            if (pixels.length != batchSize * perFrame) {
                throw new IllegalArgumentException(
                        "expected " + batchSize * perFrame + " values, got " + pixels.length);
            }
            float[][] out = new float[batchSize][labels.size()];
            for (int i = 0; i < batchSize; i++) {
                int cls = Math.floorMod((int) pixels[i * perFrame], labels.size());
                out[i][cls] = 5f;
            }
            return out;
        } finally {
            running.decrementAndGet();
            finished.incrementAndGet();
        }
    }

    @Override
    public void close() {
        closed = true;
    }

    public List<Call> calls() {
        synchronized (calls) {
            return List.copyOf(calls);
        }
    }

    public int maxRunning() {
        return maxRunning.get();
    }

    public int running() {
        return running.get();
    }

    public int finished() {
        return finished.get();
    }

    public boolean closed() {
        return closed;
    }

    public List<PredictorContext> contexts() {
        synchronized (contexts) {
            return List.copyOf(contexts);
        }
    }
}
