package dcn4j.opencl;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import org.jocl.CL;
import org.jocl.cl_device_id;
import org.jocl.cl_platform_id;

/**
 * One OpenCL device with the properties dcn4j uses. {@link #discover(String)} lists every device of
 * every (selected) platform, platforms in ICD order and devices in platform order: an index into
 * that list is what {@code --device I} and {@code -Ddcn4j.device=I} select.
 */
record ClDevice(int index, cl_platform_id platform, cl_device_id id, String platformName, String name,
                long type, int computeUnits, long globalMemory, long maxAlloc, long maxWorkGroupSize,
                long localMemory, int localMemoryType, String version) {

    /** System property that restricts the backend to platforms whose name contains its value (any case). */
    static final String PLATFORM_PROPERTY = "dcn4j.opencl.platform";
    /** Environment variable read when {@link #PLATFORM_PROPERTY} is not set. */
    static final String PLATFORM_ENV = "DCN4J_OPENCL_PLATFORM";

    /** The devices found, and each platform left out with the reason (its query failed, or not selected). */
    record Discovery(List<ClDevice> devices, List<String> skipped) {
    }

    /** The platform selector: {@code -Ddcn4j.opencl.platform}, else {@code DCN4J_OPENCL_PLATFORM}; null when neither is set. */
    static String platformSelector() {
        String s = System.getProperty(PLATFORM_PROPERTY);
        if (s == null || s.isBlank()) s = System.getenv(PLATFORM_ENV);
        return s == null || s.isBlank() ? null : s.trim();
    }

    /**
     * Every device of every platform whose name contains {@code selector} (ignoring case; every
     * platform when null). A platform whose queries fail (e.g. one that rejects the device-type
     * query) is skipped and listed with the reason: one broken ICD does not hide the others.
     */
    static Discovery discover(String selector) {
        return discover(selector, Cl::devices);
    }

    /** {@link #discover(String)} with the per-platform device query given (tests make one platform fail). */
    static Discovery discover(String selector, Function<cl_platform_id, cl_device_id[]> devicesOf) {
        List<ClDevice> found = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        cl_platform_id[] platforms = Cl.platforms();
        for (int pi = 0; pi < platforms.length; pi++) {
            cl_platform_id p = platforms[pi];
            String platformName = "#" + pi;
            List<ClDevice> devices = new ArrayList<>();
            try {
                platformName = Cl.platformString(p, CL.CL_PLATFORM_NAME, "CL_PLATFORM_NAME");
                if (selector != null && !platformName.toLowerCase(Locale.ROOT).contains(selector.toLowerCase(Locale.ROOT))) {
                    skipped.add("platform '" + platformName + "' not selected (" + PLATFORM_PROPERTY + "=" + selector + ")");
                    continue;
                }
                for (cl_device_id d : devicesOf.apply(p)) devices.add(describe(found.size() + devices.size(), p, platformName, d));
            } catch (OpenClException e) {
                skipped.add("platform '" + platformName + "' skipped: " + e.getMessage());
                continue;
            }
            found.addAll(devices);
        }
        return new Discovery(List.copyOf(found), List.copyOf(skipped));
    }

    private static ClDevice describe(int index, cl_platform_id p, String platformName, cl_device_id d) {
        return new ClDevice(index, p, d, platformName,
                Cl.deviceString(d, CL.CL_DEVICE_NAME, "CL_DEVICE_NAME"),
                Cl.deviceLong(d, CL.CL_DEVICE_TYPE, "CL_DEVICE_TYPE"),
                Cl.deviceInt(d, CL.CL_DEVICE_MAX_COMPUTE_UNITS, "CL_DEVICE_MAX_COMPUTE_UNITS"),
                Cl.deviceLong(d, CL.CL_DEVICE_GLOBAL_MEM_SIZE, "CL_DEVICE_GLOBAL_MEM_SIZE"),
                Cl.deviceLong(d, CL.CL_DEVICE_MAX_MEM_ALLOC_SIZE, "CL_DEVICE_MAX_MEM_ALLOC_SIZE"),
                Cl.deviceSize(d, CL.CL_DEVICE_MAX_WORK_GROUP_SIZE, "CL_DEVICE_MAX_WORK_GROUP_SIZE"),
                Cl.deviceLong(d, CL.CL_DEVICE_LOCAL_MEM_SIZE, "CL_DEVICE_LOCAL_MEM_SIZE"),
                Cl.deviceInt(d, CL.CL_DEVICE_LOCAL_MEM_TYPE, "CL_DEVICE_LOCAL_MEM_TYPE"),
                Cl.deviceString(d, CL.CL_DEVICE_VERSION, "CL_DEVICE_VERSION"));
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
