/**
 * {@code loadtest}: the overload experiment. Measures capacity at level 0, then drives phases of
 * load relative to it through each policy (fixed levels, adaptive, adaptive with shedding) on
 * fresh topics, and writes per-policy CSV and PNG, a summary table and JSON with its checks.
 */
package org.tocomstream.job.loadtest;
