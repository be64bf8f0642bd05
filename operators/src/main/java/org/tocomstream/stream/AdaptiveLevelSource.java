package org.tocomstream.stream;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.compress.TokenGeometry;
import org.tocomstream.control.ControllerConfig;
import org.tocomstream.control.Decision;
import org.tocomstream.control.Ladder;
import org.tocomstream.control.LevelController;
import org.tocomstream.control.LoadSignal;
import org.tocomstream.control.MonotonicClock;
import org.tocomstream.control.Shedding;

/**
 * {@link LevelSource#adaptive}: translates the operator's {@link LoadSignals} into the controller's
 * {@link LoadSignal} (service times per ladder rung, taken at the largest batch size each rung ran
 * with) and its {@link Decision} back into one {@link BatchPlan}: the level, the frames to skip
 * when the decision sheds (for {@link Shedding.Mode#DEADLINE}, against the age limit {@link
 * ControllerConfig#shedAgeLimitMs} gives for the level's measured batch time, {@link
 * LoadSignals#batchMs}), and coalescing of the next batch while it sheds latest-per-stream.
 * The controller measures its intervals on the {@link ControllerClock} chosen ({@link
 * ControllerClock#MONOTONIC} unless told otherwise), so a wall clock stepped back does not hold the
 * level.
 */
final class AdaptiveLevelSource implements LevelSource {

    private static final long serialVersionUID = 1L;

    private static final Logger LOG = LoggerFactory.getLogger(AdaptiveLevelSource.class);

    private final ControllerConfig config;
    private final ControllerClock clock;

    private transient LevelController controller;
    private transient Decision last;

    AdaptiveLevelSource(ControllerConfig config, ControllerClock clock) {
        this.config = Objects.requireNonNull(config, "config");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** The controller runs on {@link #clock}: the processing-time clock given, or its own. */
    @Override
    public void open(LongSupplier clockMs) {
        LongSupplier controllerClock = clock == ControllerClock.MONOTONIC ? MonotonicClock.system() : clockMs;
        controller = LevelController.adaptive(config, controllerClock);
        last = null;
    }

    @Override
    public void requireFits(TokenGeometry geometry, String model) {
        for (int i = 0; i < config.ladder().size(); i++) {
            CompressionLevel level = config.ladder().level(i);
            level.misfit(geometry, model).ifPresent(why -> {
                throw new IllegalArgumentException(Ladder.SETTING + " rung " + level + " " + why);
            });
        }
    }

    @Override
    public boolean usesStudent() {
        for (int i = 0; i < config.ladder().size(); i++) {
            if (config.ladder().level(i).isStudent()) {
                return true;
            }
        }
        return false;
    }

    private transient long lastDebugMs = Long.MIN_VALUE / 2;

    @Override
    public BatchPlan plan(LoadSignals signals, List<DecodedFrame> batch) {
        Decision d = decide(signals);
        CompressionLevel level = config.ladder().level(d.level());
        boolean coalesce = d.shed() && config.shedding().mode() == Shedding.Mode.LATEST_PER_STREAM;
        long ageLimitMs = d.shed() && config.shedding().mode() == Shedding.Mode.DEADLINE
                ? ageLimitMs(signals, level, batch.size())
                : Long.MAX_VALUE;
        boolean[] skip = d.shed() ? framesToSkip(signals, batch, ageLimitMs) : null;
        return new BatchPlan(level, rungOf(level), skip, reason(d, ageLimitMs), coalesce, d.fullQualityLoad());
    }

    /**
     * The age above which a frame of this batch is skipped: the fixed deadline, or the latency
     * target less the time until the batch's labels leave, predicted from the level's measured
     * batch time and the batches in flight ({@link ControllerConfig#shedAgeLimitMs}).
     */
    private long ageLimitMs(LoadSignals signals, CompressionLevel level, int frames) {
        double batchMs = signals.batchMs(level, frames).orElse(Double.NaN);
        return config.shedAgeLimitMs(Shedding.leaveAfterMs(batchMs, signals.inFlightBatches(), signals.maxInFlight()));
    }

    /** Runs the controller on {@code signals}; logs every change, and one decision a second. */
    private Decision decide(LoadSignals signals) {
        if (controller == null) {
            throw new IllegalStateException("adaptive level source used before open()");
        }
        Ladder ladder = config.ladder();
        Map<Integer, Double> measured = new HashMap<>();
        for (int i = 0; i < ladder.size(); i++) {
            OptionalDouble ms = signals.bestMsPerFrame(ladder.level(i));
            if (ms.isPresent() && ms.getAsDouble() > 0) {
                measured.put(i, ms.getAsDouble());
            }
        }
        int current = signals.previousLevel() == null ? 0 : Math.max(0, ladder.indexOf(signals.previousLevel()));
        LoadSignal signal = new LoadSignal(
                Math.max(0, signals.oldestAgeMs()),
                signals.queuedFrames(),
                signals.inFlightBatches(),
                signals.maxInFlight(),
                signals.arrivalRatePerSecond(),
                measured,
                signals.upstreamBacklogFrames() < 0 ? LoadSignal.UNKNOWN : signals.upstreamBacklogFrames());
        Decision d = controller.next(signal, current);
        if (LOG.isDebugEnabled()
                && (last == null
                        || last.level() != d.level()
                        || last.shed() != d.shed()
                        || signals.nowMs() - lastDebugMs >= 1000)) {
            // Every change, and otherwise one decision a second: why the level holds.
            LOG.debug("level decision {} for {}", d, signal);
            lastDebugMs = signals.nowMs();
        }
        last = d;
        return d;
    }

    /** The shedding policy's skip flags for {@code batch}, for a decision that sheds. */
    private boolean[] framesToSkip(LoadSignals signals, List<DecodedFrame> batch, long ageLimitMs) {
        long[] captured = new long[batch.size()];
        String[] streams = new String[batch.size()];
        for (int i = 0; i < captured.length; i++) {
            captured[i] = batch.get(i).ageFromTs();
            streams[i] = batch.get(i).stream();
        }
        return config.shedding().skip(signals.nowMs(), captured, List.of(streams), ageLimitMs);
    }

    /** The rung of {@code level} on this source's ladder, -1 when it is not on it. */
    int rungOf(CompressionLevel level) {
        return config.ladder().indexOf(level);
    }

    private String reason(Decision d, long ageLimitMs) {
        return String.format(
                Locale.ROOT,
                "%s: feed-forward rung %d for %.1f frames/s, age feedback %+.2f rungs, age trend"
                        + " %+.2f s/s, unseen cost %.2f ms/frame%s",
                d.reason(),
                d.feedForwardLevel(),
                d.demandPerSecond(),
                d.feedback(),
                d.ageTrend(),
                d.unseenMsPerFrame(),
                !d.shed()
                        ? ""
                        : ageLimitMs == Long.MAX_VALUE
                                ? ", shedding (" + config.shedding().mode() + ")"
                                : ", shedding (" + config.shedding().mode() + ", frames older than " + ageLimitMs
                                        + " ms)");
    }

    @Override
    public String toString() {
        return "adaptive(" + config.ladder() + ", latency target "
                + config.latencyTarget().toMillis() + " ms, shedding "
                + config.shedding().mode() + ")";
    }
}
