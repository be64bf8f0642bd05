/**
 * {@code ladder}: the model's measured ladder ({@code ladder.json}): candidate levels of every
 * family measured on the user's frames (top-1, or agreement and KL without labels) and end to end
 * on this machine (decode, preprocess, forward at the deployment batch size), the rungs chosen from
 * them ({@link org.tocomstream.control.LadderSelection}), and a plot.
 */
package org.tocomstream.job.ladder;
