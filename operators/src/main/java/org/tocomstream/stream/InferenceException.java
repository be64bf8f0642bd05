package org.tocomstream.stream;

/**
 * A batch could not be run through the model. Raised on an inference thread and rethrown on the
 * operator's task thread, which fails the task (Flink's restart strategy then applies); the
 * message names the model, the batch size, the level and the first frame.
 */
public class InferenceException extends Exception {

    private static final long serialVersionUID = 1L;

    public InferenceException(String message, Throwable cause) {
        super(message, cause);
    }
}
