package org.tocomstream.model;

import java.io.IOException;

/**
 * A model artifact is malformed or does not fit the architecture: a safetensors file that is
 * truncated or inconsistent, a checkpoint whose tensors are missing, extra or mis-shaped, or a
 * {@code model.json} with a missing or ill-typed field. The message always names the file and,
 * where one is to blame, the tensor key or JSON field, e.g.
 *
 * <pre>{@code
 * /models/deit-s/model.safetensors: blocks.3.attn.qkv.weight has shape [144, 48]
 *     but deit_small_patch16_224 expects [1152, 384]
 * }</pre>
 *
 * <p>It is an {@link IOException} because it is raised while reading files, and callers that load
 * a model already handle I/O failures; retrying does not help.
 */
public class CheckpointException extends IOException {

    private static final long serialVersionUID = 1L;

    public CheckpointException(String message) {
        super(message);
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
