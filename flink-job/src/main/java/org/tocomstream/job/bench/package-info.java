/**
 * {@code bench}: images/s per (batch size, compression level) with levels timed interleaved, a
 * dense matmul in the same engine as the efficiency reference, ONNX Runtime on an exported plain
 * ViT as the outside anchor ({@code --onnx}; ONNX Runtime is not in the deployed jar, see {@link
 * org.tocomstream.job.bench.OrtAnchor}), an optional libtorch profile and a resident-memory check.
 * {@code bench-pipeline}: the job's labels/s end to end (in-process Kafka, decoding, batching)
 * against the bare engine, and frame age at each load.
 */
package org.tocomstream.job.bench;
