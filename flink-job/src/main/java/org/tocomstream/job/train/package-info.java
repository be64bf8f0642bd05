/**
 * {@code train} (from fresh weights or fine-tuning a model directory, at a compression level,
 * resumable), {@code evaluate} (held-out top-1 per level, with MACs) and {@code predict} (top-K
 * labels for image files, folders and {@code .npy} batches).
 */
package org.tocomstream.job.train;
