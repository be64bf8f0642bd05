package org.tocomstream.data;

/**
 * Where the class object of a scene is drawn, in pixels of the frame: the ground truth for
 * localisation checks and for tests of motion.
 *
 * @param centerX x of the object's centre, pixels from the left edge
 * @param centerY y of the object's centre, pixels from the top edge
 * @param size diameter of the circle the shape fits in, pixels
 * @param angle rotation in radians, clockwise on screen; 0 draws the shape upright
 */
public record Placement(double centerX, double centerY, double size, double angle) {}
