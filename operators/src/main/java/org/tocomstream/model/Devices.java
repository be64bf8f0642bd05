package org.tocomstream.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.util.Locale;
import java.util.function.IntSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses device names from configuration: {@code cpu}, {@code gpu0}, {@code gpu(1)}, {@code gpu}. */
public final class Devices {

    private static final Pattern GPU = Pattern.compile("gpu\\(?(\\d*)\\)?");

    private Devices() {}

    /**
     * The device for a name, checked against what the PyTorch engine can see.
     *
     * @throws IllegalArgumentException for an unknown name or a GPU that is not present
     */
    public static Device parse(String name) {
        return parse(name, () -> Engine.getEngine("PyTorch").getGpuCount());
    }

    /**
     * The device for a name, checked against {@code visibleGpus} GPUs (asked only for a GPU name),
     * so that tests can simulate GPUs.
     *
     * @throws IllegalArgumentException for an unknown name or a GPU that is not present
     */
    public static Device parse(String name, IntSupplier visibleGpus) {
        String s = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        if (s.equals("cpu")) {
            return Device.cpu();
        }
        Matcher m = GPU.matcher(s);
        if (!m.matches()) {
            throw new IllegalArgumentException("unknown device '" + name + "'; expected cpu, gpu, gpuN or gpu(N)");
        }
        int index = m.group(1).isEmpty() ? 0 : Integer.parseInt(m.group(1));
        int visible = visibleGpus.getAsInt();
        if (index >= visible) {
            throw new IllegalArgumentException(String.format(
                    "device '%s' requested but the PyTorch engine sees %d GPU(s) (GPUs are numbered"
                            + " from 0 as CUDA sees them; the CPU natives, pytorch-native-cpu, see none:"
                            + " use cpu there)",
                    name, visible));
        }
        return Device.gpu(index);
    }

    /** The name labels and metrics report for a device: {@code cpu} or {@code gpuN}. */
    public static String name(Device device) {
        return device.isGpu() ? "gpu" + device.getDeviceId() : device.getDeviceType();
    }
}
