package org.tocomstream.job.cli;

import ai.djl.Device;
import org.tocomstream.model.Devices;

/** The {@code --device} option of the commands that run a model. */
public final class DeviceOption {

    public static final String NAME = "--device";

    private DeviceOption() {}

    /** A device as this option writes it: {@code cpu}, {@code gpu0}. */
    public static String name(Device device) {
        return device.isGpu() ? "gpu" + device.getDeviceId() : device.getDeviceType();
    }

    /** The device named by {@code --device}, {@code cpu} when absent. */
    public static Device parse(ParsedArgs args) throws UsageException {
        try {
            return Devices.parse(args.string(NAME, "cpu"));
        } catch (IllegalArgumentException e) {
            throw args.error(NAME, e.getMessage());
        }
    }
}
