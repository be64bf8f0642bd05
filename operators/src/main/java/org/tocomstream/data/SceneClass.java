package org.tocomstream.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One class of the synthetic scenes: an object of a {@link Shape} painted in a {@link Colour}. Its
 * label is {@code colour_shape} in lower case, e.g. {@code red_circle}.
 *
 * <p>The {@linkplain #defaults() default set}, which the bundled demo model is trained on, gives
 * each of its 8 classes its own colour and varies the shapes as well. The {@linkplain #ring() ring}
 * is the harder set: 8 classes over 4 shapes and 4 colours in which every shape and every colour is
 * shared by exactly two classes, so neither the dominant colour of a frame nor a colour-blind
 * outline identifies the class. (A small ViT trained from scratch for 30 minutes on 2 cores learns
 * the colours of the ring in a few thousand images but stays near 60 % top-1 on it; see {@code
 * src/docs/demo-model.md}.)
 *
 * <pre>{@code
 * SceneClass.defaults();                   // red_circle, orange_square, yellow_triangle, ...
 * SceneClass.ring();                       // red_circle, green_circle, green_square, ...
 * SceneClass.parse("blue_star");           // a custom class
 * SceneClass.grid(List.of(Shape.values()), List.of(Colour.RED, Colour.BLUE)); // 12 classes
 * }</pre>
 *
 * @param shape the outline of the object
 * @param colour the hue of the object's fill
 */
public record SceneClass(Shape shape, Colour colour) {

    /** Object outlines. Every shape fits the circle of the object's size. */
    public enum Shape {
        CIRCLE,
        SQUARE,
        TRIANGLE,
        /** A plus sign with arms 0.3 as thick as long. */
        CROSS,
        /** A five-pointed star. */
        STAR,
        /** An annulus whose hole is about half its diameter. */
        RING,
        /** A bar three times as long as wide: the one shape told apart by its extent alone. */
        BAR
    }

    /** Object hues, 60° or more apart on the colour wheel except orange (30°) and purple (35-37°). */
    public enum Colour {
        RED(0),
        ORANGE(30),
        YELLOW(58),
        GREEN(120),
        CYAN(185),
        BLUE(228),
        PURPLE(265),
        MAGENTA(300);

        private final double hueDegrees;

        Colour(double hueDegrees) {
            this.hueDegrees = hueDegrees;
        }

        /** The centre of the hue range drawn for this colour, in degrees. */
        public double hueDegrees() {
            return hueDegrees;
        }
    }

    private static final List<SceneClass> DEFAULTS = List.of(
            new SceneClass(Shape.CIRCLE, Colour.RED),
            new SceneClass(Shape.SQUARE, Colour.ORANGE),
            new SceneClass(Shape.TRIANGLE, Colour.YELLOW),
            new SceneClass(Shape.CROSS, Colour.GREEN),
            new SceneClass(Shape.STAR, Colour.CYAN),
            new SceneClass(Shape.RING, Colour.BLUE),
            new SceneClass(Shape.SQUARE, Colour.PURPLE),
            new SceneClass(Shape.TRIANGLE, Colour.MAGENTA));

    private static final List<SceneClass> RING = List.of(
            new SceneClass(Shape.CIRCLE, Colour.RED),
            new SceneClass(Shape.CIRCLE, Colour.GREEN),
            new SceneClass(Shape.SQUARE, Colour.GREEN),
            new SceneClass(Shape.SQUARE, Colour.BLUE),
            new SceneClass(Shape.TRIANGLE, Colour.BLUE),
            new SceneClass(Shape.TRIANGLE, Colour.YELLOW),
            new SceneClass(Shape.CROSS, Colour.YELLOW),
            new SceneClass(Shape.CROSS, Colour.RED));

    public SceneClass {
        if (shape == null) {
            throw new IllegalArgumentException("shape must not be null");
        }
        if (colour == null) {
            throw new IllegalArgumentException("colour must not be null");
        }
    }

    /**
     * The 8 default classes, one colour each, in label order: {@code red_circle, orange_square,
     * yellow_triangle, green_cross, cyan_star, blue_ring, purple_square, magenta_triangle}.
     */
    public static List<SceneClass> defaults() {
        return DEFAULTS;
    }

    /**
     * The ring of 8 classes where each shape and each colour belongs to two classes, in label
     * order: {@code red_circle, green_circle, green_square, blue_square, blue_triangle,
     * yellow_triangle, yellow_cross, red_cross}.
     */
    public static List<SceneClass> ring() {
        return RING;
    }

    /** Every combination of the shapes and colours, shape-major. */
    public static List<SceneClass> grid(List<Shape> shapes, List<Colour> colours) {
        List<SceneClass> classes = new ArrayList<>(shapes.size() * colours.size());
        for (Shape shape : shapes) {
            for (Colour colour : colours) {
                classes.add(new SceneClass(shape, colour));
            }
        }
        return List.copyOf(classes);
    }

    /**
     * Parses a label such as {@code red_circle} (case-insensitive).
     *
     * @throws IllegalArgumentException naming the label when it is not {@code colour_shape}
     */
    public static SceneClass parse(String label) {
        String text = label == null ? "" : label.trim().toUpperCase(Locale.ROOT);
        int cut = text.indexOf('_');
        if (cut > 0) {
            try {
                return new SceneClass(Shape.valueOf(text.substring(cut + 1)), Colour.valueOf(text.substring(0, cut)));
            } catch (IllegalArgumentException e) {
                // fall through to the message below
            }
        }
        throw new IllegalArgumentException(String.format(
                "scene class '%s' is not colour_shape (colours %s, shapes %s)",
                label, List.of(Colour.values()), List.of(Shape.values())));
    }

    /** The label, {@code colour_shape} in lower case. */
    public String name() {
        return colour.name().toLowerCase(Locale.ROOT) + "_" + shape.name().toLowerCase(Locale.ROOT);
    }

    @Override
    public String toString() {
        return name();
    }
}
