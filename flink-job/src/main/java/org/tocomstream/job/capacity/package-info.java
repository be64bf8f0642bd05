/**
 * {@code capacity-sim}: cost control simulated. Subtasks that each run the real level controller
 * over service times from a measured ladder label a camera trace (calm, a sustained overload,
 * calm again) under three strategies on the same trace: the full-quality-load scaling policy
 * ({@link org.tocomstream.control.ScalingPolicy}) with a restart per rescale, a fixed parallelism
 * sized for the peak, and a fixed parallelism sized for the average (compression only). Writes a
 * table, JSON and a PNG over time.
 */
package org.tocomstream.job.capacity;
