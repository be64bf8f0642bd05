package org.tocomstream.job.capacity;

import java.util.ArrayList;
import java.util.List;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.control.Ladder;
import org.tocomstream.control.MeasuredLadder;

/**
 * The service times the simulation runs on, from a measured ladder ({@code ladder.json}): rung
 * 0's time per frame is the measured end-to-end frames/s of level {@code none} at the ladder's
 * batch size (one slot's capacity), each further rung's is that over its measured speed-up, and
 * each rung's quality is the measured one. The controller's ladder is costed by the same
 * speed-ups (as {@link MeasuredLadder#ladder} does), so its predictions use the measured ratios.
 *
 * @param ladder the controller's rungs
 * @param msPerFrame true time per frame of each rung, ms
 * @param quality measured quality of each rung (top-1 or agreement), NaN where the file has none
 * @param batch the batch size the times were measured at
 * @param source where the measurement comes from: the file, its command and machine
 */
record SimLadder(Ladder ladder, double[] msPerFrame, double[] quality, int batch, String source) {

    /**
     * @throws IllegalArgumentException naming the file when it has no measurement of {@code none}
     */
    static SimLadder of(MeasuredLadder m, String file) {
        MeasuredLadder.Candidate none = m.candidates().stream()
                .filter(c -> MeasuredLadder.NONE.equals(c.level()) && c.framesPerSecond() > 0)
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException(
                        file + ": no measured frames/s of level none among the candidates"));
        double ms0 = 1000.0 / none.framesPerSecond();
        List<Ladder.Rung> rungs = new ArrayList<>();
        List<Double> ms = new ArrayList<>();
        List<Double> quality = new ArrayList<>();
        String previous = null;
        for (MeasuredLadder.Rung r : m.rungs()) {
            if (!r.reachable() || r.level().equals(previous)) {
                continue;
            }
            rungs.add(new Ladder.Rung(CompressionLevel.parse(r.level()), 1.0 / r.speedup()));
            ms.add(ms0 / r.speedup());
            quality.add(r.quality() == null ? Double.NaN : r.quality());
            previous = r.level();
        }
        String machine = m.machine() == null
                ? "an unnamed machine"
                : m.machine().cpuModel() + ", " + m.machine().cores() + " cores";
        return new SimLadder(
                new Ladder(rungs),
                ms.stream().mapToDouble(Double::doubleValue).toArray(),
                quality.stream().mapToDouble(Double::doubleValue).toArray(),
                Math.max(1, m.batch()),
                file + " (" + m.command() + "; " + machine + ")");
    }

    /** Frames/s one slot labels at full quality. */
    double slotFramesPerSecond() {
        return 1000.0 / msPerFrame[0];
    }

    int size() {
        return msPerFrame.length;
    }
}
