package org.tocomstream.model;

/**
 * An encoded image cannot be turned into a network input: the bytes are empty, corrupt or of an
 * unsupported format, or the image has zero size or more pixels than the configured cap. The
 * message says which. Checked, because a streaming job must decide per input edge whether a bad
 * frame is skipped (and counted) or fails the job.
 */
public class ImageDecodeException extends Exception {

    private static final long serialVersionUID = 1L;

    public ImageDecodeException(String message) {
        super(message);
    }

    public ImageDecodeException(String message, Throwable cause) {
        super(message, cause);
    }
}
