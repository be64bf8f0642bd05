package org.tocomstream.model;

/**
 * An image whose decode would hold more bytes than the preprocessor's decode budget ({@link
 * ImagePreprocessor#maxDecodedBytes()}), even subsampled; refused from its header, before any pixel
 * is decoded. A subtype so that callers can name the setting behind the budget.
 */
public final class DecodeBudgetException extends ImageDecodeException {

    private static final long serialVersionUID = 1L;

    public DecodeBudgetException(String message) {
        super(message);
    }
}
