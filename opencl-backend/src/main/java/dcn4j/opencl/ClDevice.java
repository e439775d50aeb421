package dcn4j.opencl;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jocl.CL;
import org.jocl.cl_device_id;
import org.jocl.cl_platform_id;

/**
 * One OpenCL device with the properties dcn4j uses. {@link #all()} lists every device of every
 * platform, platforms in ICD order and devices in platform order: an index into that list is what
 * {@code --device I} and {@code -Ddcn4j.device=I} select.
 */
record ClDevice(int index, cl_platform_id platform, cl_device_id id, String platformName, String name,
                long type, int computeUnits, long globalMemory, long maxAlloc, long maxWorkGroupSize,
                long localMemory, int localMemoryType, String version) {

    static List<ClDevice> all() {
        List<ClDevice> found = new ArrayList<>();
        for (cl_platform_id p : Cl.platforms()) {
            String platformName = Cl.platformString(p, CL.CL_PLATFORM_NAME, "CL_PLATFORM_NAME");
            for (cl_device_id d : Cl.devices(p)) {
                found.add(new ClDevice(found.size(), p, d, platformName,
                        Cl.deviceString(d, CL.CL_DEVICE_NAME, "CL_DEVICE_NAME"),
                        Cl.deviceLong(d, CL.CL_DEVICE_TYPE, "CL_DEVICE_TYPE"),
                        Cl.deviceInt(d, CL.CL_DEVICE_MAX_COMPUTE_UNITS, "CL_DEVICE_MAX_COMPUTE_UNITS"),
                        Cl.deviceLong(d, CL.CL_DEVICE_GLOBAL_MEM_SIZE, "CL_DEVICE_GLOBAL_MEM_SIZE"),
                        Cl.deviceLong(d, CL.CL_DEVICE_MAX_MEM_ALLOC_SIZE, "CL_DEVICE_MAX_MEM_ALLOC_SIZE"),
                        Cl.deviceSize(d, CL.CL_DEVICE_MAX_WORK_GROUP_SIZE, "CL_DEVICE_MAX_WORK_GROUP_SIZE"),
                        Cl.deviceLong(d, CL.CL_DEVICE_LOCAL_MEM_SIZE, "CL_DEVICE_LOCAL_MEM_SIZE"),
                        Cl.deviceInt(d, CL.CL_DEVICE_LOCAL_MEM_TYPE, "CL_DEVICE_LOCAL_MEM_TYPE"),
                        Cl.deviceString(d, CL.CL_DEVICE_VERSION, "CL_DEVICE_VERSION")));
            }
        }
        return found;
    }

    /**
     * The device {@code requested} (an index into {@link #all()}), or for {@code -1} the first GPU,
     * else the first device. {@link IllegalArgumentException} for an index out of range.
     */
    static ClDevice select(List<ClDevice> devices, int requested) {
        if (devices.isEmpty()) throw new IllegalStateException("no OpenCL device found");
        if (requested >= 0) {
            if (requested >= devices.size()) {
                throw new IllegalArgumentException("device: expected an OpenCL device index in [0, " + devices.size()
                        + ") (see 'dcn4j backends'), got " + requested);
            }
            return devices.get(requested);
        }
        for (ClDevice d : devices) {
            if ((d.type & CL.CL_DEVICE_TYPE_GPU) != 0) return d;
        }
        return devices.get(0);
    }

    /** Whether local memory is a separate on-chip store (GPUs) rather than ordinary cached memory (CPUs, PoCL). */
    boolean hasDedicatedLocalMemory() {
        return localMemoryType == CL.CL_LOCAL;
    }

    String typeName() {
        List<String> names = new ArrayList<>();
        if ((type & CL.CL_DEVICE_TYPE_GPU) != 0) names.add("GPU");
        if ((type & CL.CL_DEVICE_TYPE_CPU) != 0) names.add("CPU");
        if ((type & CL.CL_DEVICE_TYPE_ACCELERATOR) != 0) names.add("accelerator");
        if ((type & CL.CL_DEVICE_TYPE_CUSTOM) != 0) names.add("custom");
        return names.isEmpty() ? "other" : String.join("+", names);
    }

    /** {@code "I: platform / device (type, N compute units, X GiB global memory)"}. */
    String describe() {
        return String.format(Locale.ROOT, "%d: %s / %s (%s, %d compute units, %.1f GiB global memory)", index,
                platformName, name, typeName(), computeUnits, globalMemory / (1024.0 * 1024 * 1024));
    }
}
