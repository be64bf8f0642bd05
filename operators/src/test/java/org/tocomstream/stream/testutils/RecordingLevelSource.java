package org.tocomstream.stream.testutils;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.stream.BatchPlan;
import org.tocomstream.stream.DecodedFrame;
import org.tocomstream.stream.LevelSource;
import org.tocomstream.stream.LoadSignals;

/**
 * A level source that records the signals of every batch and answers with a function of them: a
 * plan at that level that runs every frame, or ({@link #planning}) a whole plan. The records live in a static registry keyed by an id,
 * so they survive Flink serializing the source.
 */
public final class RecordingLevelSource implements LevelSource {

    private static final long serialVersionUID = 1L;

    private static final Map<Integer, List<LoadSignals>> SEEN = new ConcurrentHashMap<>();
    private static final Map<Integer, Function<LoadSignals, BatchPlan>> ANSWERS = new ConcurrentHashMap<>();
    private static final AtomicInteger IDS = new AtomicInteger();

    private final int id;

    public RecordingLevelSource(Function<LoadSignals, CompressionLevel> answer) {
        this(answer.andThen(BatchPlan::of), 0);
    }

    private RecordingLevelSource(Function<LoadSignals, BatchPlan> answer, int unused) {
        id = IDS.incrementAndGet();
        SEEN.put(id, Collections.synchronizedList(new ArrayList<>()));
        ANSWERS.put(id, answer);
    }

    /** Records the signals and answers with the whole plan {@code answer} makes of them. */
    public static RecordingLevelSource planning(Function<LoadSignals, BatchPlan> answer) {
        return new RecordingLevelSource(answer, 0);
    }

    @Override
    public BatchPlan plan(LoadSignals signals, List<DecodedFrame> batch) {
        SEEN.get(id).add(signals);
        return ANSWERS.get(id).apply(signals);
    }

    public List<LoadSignals> seen() {
        List<LoadSignals> list = SEEN.get(id);
        synchronized (list) {
            return List.copyOf(list);
        }
    }
}
