package org.tocomstream.stream;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * One record of the frames topic as read from Kafka, kept whole (key, value, headers, timestamp,
 * position) so that a frame that cannot be labelled goes to the dead-letter topic unchanged.
 *
 * @param topic the topic it was read from
 * @param partition its partition
 * @param offset its offset
 * @param timestamp the record timestamp, epoch ms
 * @param key the key bytes (the stream id, UTF-8), or null
 * @param value the value bytes (an encoded image), or null
 * @param headers the headers in record order, repeats kept
 */
public record FrameRecord(
        String topic, int partition, long offset, long timestamp, byte[] key, byte[] value, List<Header> headers)
        implements Serializable {

    private static final long serialVersionUID = 1L;

    /** One record header; {@code value} may be null as in Kafka. */
    public record Header(String key, byte[] value) implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    public FrameRecord {
        headers = headers == null ? List.of() : List.copyOf(headers);
    }

    /** The last header named {@code name}, or null. */
    public byte[] header(String name) {
        byte[] found = null;
        for (Header h : headers) {
            if (h.key().equals(name)) {
                found = h.value();
            }
        }
        return found;
    }

    /** The key as UTF-8 text, or null without a key. */
    public String keyString() {
        return key == null ? null : new String(key, StandardCharsets.UTF_8);
    }

    /** Where the record came from, for error messages: {@code topic-partition@offset}. */
    public String position() {
        return topic + "-" + partition + "@" + offset;
    }
}
