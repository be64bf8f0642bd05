package org.tocomstream.control;

/**
 * The answer of a {@link LevelController} for one batch, with the quantities it was derived from
 * (for logs, metrics and tests).
 *
 * @param level the ladder rung to run the batch at
 * @param shed whether the batch's frames should be passed through the {@link Shedding} policy:
 *     true only when shedding is on, the level is the top rung and that rung does not keep up
 * @param feedForwardLevel the lowest rung whose estimated capacity covers the demand at the
 *     target utilization ({@code ladder size} when none does)
 * @param feedback the frame-age PI output in rungs (proportional plus integral), at least 0
 * @param integral the PI integral term in rungs, after this step
 * @param demandPerSecond arrival rate plus the backlog to drain within the horizon, frames/s
 *     (while frames pile up unseen, the rate inferred from the age trend)
 * @param ageTrend growth of the oldest frame's age over the last second, seconds per second, or
 *     NaN before there are enough batches to tell
 * @param unseenMsPerFrame learnt per-frame cost outside the measured forward pass, ms
 * @param fullQualityLoad the subtask's load at rung 0 for the arriving rate ({@link
 *     FullQualityLoad}): above 1 the subtask cannot label every frame at full quality, whatever
 *     the level; NaN before any rung has run
 * @param reason why the level is what it is: {@code hold}, {@code degrade}, {@code restore},
 *     {@code dwell}, {@code hysteresis}, {@code saturated}
 */
public record Decision(
        int level,
        boolean shed,
        int feedForwardLevel,
        double feedback,
        double integral,
        double demandPerSecond,
        double ageTrend,
        double unseenMsPerFrame,
        double fullQualityLoad,
        String reason) {}
