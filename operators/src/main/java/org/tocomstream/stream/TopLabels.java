package org.tocomstream.stream;

import java.util.ArrayList;
import java.util.List;

/** Softmax over one row of logits and its k best labels. */
final class TopLabels {

    private TopLabels() {}

    /**
     * The {@code k} most probable labels, best first; ties go to the lower class index.
     *
     * @param logits one row, {@code labels.size()} finite values
     * @throws IllegalArgumentException if the row has the wrong length or a non-finite value
     */
    static List<LabelRecord.Label> of(float[] logits, List<String> labels, int k) {
        if (logits.length != labels.size()) {
            throw new IllegalArgumentException(String.format(
                    "model returned %d logits per frame but has %d labels", logits.length, labels.size()));
        }
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < logits.length; i++) {
            if (!Float.isFinite(logits[i])) {
                // A model fault, not a frame fault (inputs are normalised 8-bit pixels), and JSON
                // has no NaN: fail the batch with the evidence rather than emit a broken label.
                throw new IllegalArgumentException(
                        String.format("model returned a non-finite logit %s for class %d", logits[i], i));
            }
            max = Math.max(max, logits[i]);
        }
        double[] p = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < logits.length; i++) {
            p[i] = Math.exp(logits[i] - max);
            sum += p[i];
        }
        int n = Math.min(k, logits.length);
        int[] best = new int[n];
        int size = 0;
        // Insertion into a k-long sorted list: k is small (5), classes may be 1000.
        for (int i = 0; i < p.length; i++) {
            int pos = size;
            while (pos > 0 && p[best[pos - 1]] < p[i]) {
                pos--;
            }
            if (pos >= n) {
                continue;
            }
            int end = Math.min(size, n - 1);
            System.arraycopy(best, pos, best, pos + 1, end - pos);
            best[pos] = i;
            size = Math.min(size + 1, n);
        }
        List<LabelRecord.Label> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(new LabelRecord.Label(labels.get(best[i]), p[best[i]] / sum));
        }
        return out;
    }
}
