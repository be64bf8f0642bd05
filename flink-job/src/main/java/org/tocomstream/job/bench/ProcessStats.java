package org.tocomstream.job.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * Facts about this process and machine from Linux's {@code /proc} and the environment; -1 or
 * "unknown" where they cannot be read.
 */
public final class ProcessStats {

    private ProcessStats() {}

    /** {@code VmRSS} of {@code /proc/self/status} in KiB (native memory included), or -1. */
    static long rssKiB() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            // Not Linux, or an unexpected format: report "unknown".
        }
        return -1;
    }

    /**
     * Minor page faults of the whole process so far ({@code minflt}, field 10 of {@code
     * /proc/self/stat}), or -1. Large freshly allocated tensors fault in page by page whenever
     * the C allocator has returned their memory to the system, which can cost as much as the
     * arithmetic; the bench reports faults per batch so this is visible.
     */
    static long minorFaults() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            // Fields after the command name, which is in parentheses and may contain spaces.
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[7]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** The first {@code model name} of {@code /proc/cpuinfo}, or "unknown". */
    public static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException e) {
            // Fall through.
        }
        return "unknown";
    }

    /**
     * Environment variables that change CPU inference speed: the allocator ({@code LD_PRELOAD},
     * glibc's {@code MALLOC_*}) and the thread pools ({@code OMP_*}, {@code KMP_*}, {@code MKL_*}).
     */
    static Map<String, String> performanceEnvironment() {
        Map<String, String> out = new TreeMap<>();
        for (Map.Entry<String, String> e : System.getenv().entrySet()) {
            String k = e.getKey();
            if (k.equals("LD_PRELOAD")
                    || k.startsWith("MALLOC_")
                    || k.startsWith("OMP_")
                    || k.startsWith("KMP_")
                    || k.startsWith("MKL_")) {
                out.put(k, e.getValue());
            }
        }
        return out;
    }
}
