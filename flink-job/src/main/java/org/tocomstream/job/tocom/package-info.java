/**
 * {@code tocom}: the Token Compensator's commands. {@code train} (self-distillation on unlabelled
 * images or a Kafka topic of frames), {@code calibrate} (fits a plugin to the model it runs on),
 * {@code eval} (KL and top-1 per (m, n) pair, with and without the plugin) and {@code proof} (one
 * plugin over models fine-tuned at several degrees, with its checks and heat map).
 */
package org.tocomstream.job.tocom;
