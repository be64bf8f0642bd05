package org.tocomstream.compensate;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;
import org.tocomstream.compress.CompressionLevel;

/**
 * Which ToMe levels a Token Compensator's degrees stand for. ToCom's degree is ToMe's r; ToMe
 * spreads r over the blocks in more than one way, and a plugin is trained for one of them: degree
 * d is {@code tome:d} ({@link #CONSTANT}, d tokens merged in every block) or {@code
 * tome-decreasing:d} ({@link #DECREASING}, ToMe's {@code (r, -1)}: 2d in the first block, linearly
 * down to 0 in the last). Degree 0 is the plain model in both. The plugin's structure (rank per
 * step, channel masks, Δ(m→n) = f(n) − f(m)) is the same; its sidecar names the schedule as its
 * {@code method}.
 *
 * <pre>{@code
 * DegreeSchedule.DECREASING.level(8);                                  // tome-decreasing:8
 * DegreeSchedule.DECREASING.degreeOf(CompressionLevel.parse("tome:8")); // empty: not this schedule
 * }</pre>
 */
public enum DegreeSchedule {
    /** Degree d = {@code tome:d}. */
    CONSTANT("tome"),
    /** Degree d = {@code tome-decreasing:d}. */
    DECREASING("tome-decreasing");

    private final String method;

    DegreeSchedule(String method) {
        this.method = method;
    }

    /** The sidecar's {@code method} for this schedule: {@code tome} or {@code tome-decreasing}. */
    public String method() {
        return method;
    }

    /** The level of degree d; {@link CompressionLevel#none()} for 0. */
    public CompressionLevel level(int degree) {
        if (degree < 0) {
            throw new IllegalArgumentException("degree must be >= 0 but was " + degree);
        }
        return this == CONSTANT ? CompressionLevel.tome(degree) : CompressionLevel.tomeDecreasing(degree);
    }

    /** The degree of {@code level} in this schedule (0 for none), or empty when it is not one. */
    public OptionalInt degreeOf(CompressionLevel level) {
        return this == CONSTANT ? level.tomeDegree() : level.tomeDecreasingDegree();
    }

    /** The schedule whose sidecar {@code method} is {@code method}, exactly; empty otherwise. */
    public static Optional<DegreeSchedule> ofMethod(String method) {
        return Arrays.stream(values()).filter(s -> s.method.equals(method)).findFirst();
    }

    /** The sidecar methods, {@code [tome, tome-decreasing]}. */
    public static List<String> methods() {
        return Arrays.stream(values()).map(DegreeSchedule::method).toList();
    }

    /**
     * The schedule of a sidecar {@code method} or a command-line value ({@code tome}, {@code
     * constant}, {@code tome-decreasing}, {@code decreasing}; case-insensitive).
     *
     * @throws IllegalArgumentException naming the value and the known ones
     */
    public static DegreeSchedule parse(String text) {
        String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        for (DegreeSchedule s : values()) {
            if (t.equals(s.method) || t.equals(s.name().toLowerCase(Locale.ROOT))) {
                return s;
            }
        }
        throw new IllegalArgumentException(String.format("unknown degree schedule '%s'; known: %s", text, methods()));
    }
}
