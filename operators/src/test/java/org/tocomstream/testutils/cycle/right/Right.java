package org.tocomstream.testutils.cycle.right;

import org.tocomstream.testutils.cycle.left.Left;

/** The other half of a deliberate package cycle: shows that the cycle rule can see one. */
public final class Right {

    private Right() {}

    /** Depends on the other package. */
    public static int viaLeft() {
        return Left.value() + 1;
    }

    /** Depended on by the other package. */
    public static int value() {
        return 2;
    }
}
