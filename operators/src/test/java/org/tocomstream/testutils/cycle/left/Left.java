package org.tocomstream.testutils.cycle.left;

import org.tocomstream.testutils.cycle.right.Right;

/** Half of a deliberate package cycle: shows that the cycle rule can see one. */
public final class Left {

    private Left() {}

    /** Depends on the other package. */
    public static int viaRight() {
        return Right.value() + 1;
    }

    /** Depended on by the other package. */
    public static int value() {
        return 1;
    }
}
