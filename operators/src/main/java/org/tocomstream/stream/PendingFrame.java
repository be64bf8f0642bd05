package org.tocomstream.stream;

/**
 * A frame the inference operator has accepted and not yet labelled, with its input record's
 * timestamp, which its label record keeps.
 *
 * @param frame the decoded frame
 * @param hasTimestamp whether the input record had a timestamp
 * @param timestamp the input record's timestamp, when it had one
 */
record PendingFrame(DecodedFrame frame, boolean hasTimestamp, long timestamp) {}
