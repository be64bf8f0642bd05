package org.tocomstream.job;

/** Command-line entry point of the tocom-stream job jar. */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        System.exit(0);
    }
}
