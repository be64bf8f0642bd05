package org.tocomstream.stream;

import java.io.Serializable;

/**
 * A frame that cannot be labelled: the original record, written to the dead-letter topic with its
 * key, value and headers unchanged plus a {@link WireFormat#ERROR} header holding {@code reason}.
 *
 * @param original the record as read
 * @param reason why, one line naming the bad header, value or limit
 */
public record DeadLetter(FrameRecord original, String reason) implements Serializable {
    private static final long serialVersionUID = 1L;
}
