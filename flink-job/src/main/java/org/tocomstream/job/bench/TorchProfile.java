package org.tocomstream.job.bench;

import ai.djl.pytorch.jni.JniUtils;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.tocomstream.job.cli.Cli;

/**
 * "Where our time goes": runs a few batches under libtorch's profiler ({@link
 * JniUtils#startProfile} / {@link JniUtils#stopProfile}), then reads the chrome-trace JSON it
 * writes and sums each op's <em>self</em> time (its duration minus that of the ops nested in it on
 * the same thread). The gap between the wall time and the time inside top-level ops is spent
 * outside libtorch's ops: Java, JNI crossings, DJL bookkeeping, copies into and out of the JVM.
 */
public final class TorchProfile {

    /** One op's totals per profiled batch. */
    record OpStat(String name, double callsPerBatch, double selfMsPerBatch, double shareOfWall) {}

    /**
     * The profile of one level.
     *
     * @param level compression level text
     * @param batchSize images per batch
     * @param batches profiled batches
     * @param wallMsPerBatch wall-clock time per batch while profiling (the profiler adds overhead)
     * @param opsMsPerBatch time inside top-level libtorch ops per batch
     * @param outsideOpsMsPerBatch {@code wallMsPerBatch - opsMsPerBatch}
     * @param traceFile the chrome-trace JSON written by libtorch
     * @param topOps ops by self time, highest first
     */
    record Summary(
            String level,
            int batchSize,
            int batches,
            double wallMsPerBatch,
            double opsMsPerBatch,
            double outsideOpsMsPerBatch,
            String traceFile,
            List<OpStat> topOps) {}

    private record Event(String name, long tid, double ts, double dur) {}

    private TorchProfile() {}

    /** Profiles {@code batches} calls of {@code batch} and keeps the {@code top} ops. */
    static Summary capture(Path traceFile, String level, int batchSize, int batches, int top, Runnable batch)
            throws IOException {
        Files.createDirectories(traceFile.toAbsolutePath().getParent());
        JniUtils.startProfile(false, false, false);
        long t0 = System.nanoTime();
        try {
            for (int i = 0; i < batches; i++) {
                batch.run();
            }
        } catch (RuntimeException e) {
            JniUtils.stopProfile(traceFile.toString());
            throw e;
        }
        double wallMs = (System.nanoTime() - t0) / 1e6;
        JniUtils.stopProfile(traceFile.toString());
        return summarize(traceFile, level, batchSize, batches, top, wallMs);
    }

    static Summary summarize(Path traceFile, String level, int batchSize, int batches, int top, double wallMs)
            throws IOException {
        List<Event> events = read(traceFile);
        Map<String, double[]> byName = new HashMap<>(); // name -> {calls, self us}
        double topLevelUs = 0;
        Map<Long, List<Event>> byThread = new HashMap<>();
        for (Event e : events) {
            byThread.computeIfAbsent(e.tid(), t -> new ArrayList<>()).add(e);
        }
        for (List<Event> thread : byThread.values()) {
            // Parents start no later than their children and last longer: sort so each event
            // follows every event that encloses it.
            thread.sort(Comparator.comparingDouble(Event::ts)
                    .thenComparing(Comparator.comparingDouble(Event::dur).reversed()));
            Deque<Event> open = new ArrayDeque<>();
            Map<Event, Double> childUs = new IdentityHashMap<>();
            for (Event e : thread) {
                while (!open.isEmpty() && open.peek().ts() + open.peek().dur() <= e.ts()) {
                    open.pop();
                }
                if (open.isEmpty()) {
                    topLevelUs += e.dur();
                } else {
                    childUs.merge(open.peek(), e.dur(), Double::sum);
                }
                open.push(e);
            }
            for (Event e : thread) {
                double[] acc = byName.computeIfAbsent(e.name(), n -> new double[2]);
                acc[0] += 1;
                acc[1] += Math.max(0, e.dur() - childUs.getOrDefault(e, 0.0));
            }
        }
        double wallPerBatch = wallMs / batches;
        List<OpStat> ops = new ArrayList<>();
        for (Map.Entry<String, double[]> e : byName.entrySet()) {
            double selfMs = e.getValue()[1] / 1e3 / batches;
            ops.add(new OpStat(e.getKey(), e.getValue()[0] / batches, selfMs, selfMs / wallPerBatch));
        }
        ops.sort(Comparator.comparingDouble(OpStat::selfMsPerBatch).reversed());
        double opsPerBatch = topLevelUs / 1e3 / batches;
        return new Summary(
                level,
                batchSize,
                batches,
                wallPerBatch,
                opsPerBatch,
                wallPerBatch - opsPerBatch,
                traceFile.toString(),
                List.copyOf(ops.subList(0, Math.min(top, ops.size()))));
    }

    private static List<Event> read(Path traceFile) throws IOException {
        JsonElement root;
        try (Reader r = Files.newBufferedReader(traceFile)) {
            root = JsonParser.parseReader(r);
        } catch (RuntimeException e) {
            throw new IOException(traceFile + ": not a chrome-trace JSON file: " + Cli.describe(e), e);
        }
        JsonArray array = root.isJsonArray()
                ? root.getAsJsonArray()
                : root.getAsJsonObject().getAsJsonArray("traceEvents");
        List<Event> events = new ArrayList<>();
        if (array == null) {
            return events;
        }
        for (JsonElement el : array) {
            if (!el.isJsonObject()) {
                continue;
            }
            JsonObject o = el.getAsJsonObject();
            if (!o.has("name")
                    || !o.has("ts")
                    || !o.has("dur")
                    || (o.has("ph") && !"X".equals(o.get("ph").getAsString()))) {
                continue;
            }
            long tid = o.has("tid")
                            && o.get("tid").isJsonPrimitive()
                            && o.get("tid").getAsJsonPrimitive().isNumber()
                    ? o.get("tid").getAsLong()
                    : 0;
            events.add(new Event(
                    o.get("name").getAsString(),
                    tid,
                    o.get("ts").getAsDouble(),
                    o.get("dur").getAsDouble()));
        }
        return events;
    }
}
