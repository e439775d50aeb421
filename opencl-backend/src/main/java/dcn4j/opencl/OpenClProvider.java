package dcn4j.opencl;

import dcn4j.Backend;
import dcn4j.BackendOptions;
import dcn4j.spi.BackendProvider;
import java.util.List;

/**
 * Provider of the {@code opencl} backend (JOCL): deformable convolution and deformable PS RoI
 * pooling as OpenCL C kernels on any OpenCL 1.2 device, float32 only, tensors kept on the device.
 *
 * <p>Always present; {@linkplain #availability() available} only when JOCL's native library, the
 * OpenCL ICD loader and at least one platform with a device are found, else unavailable with the
 * reason. Available when any device of any platform is: a platform whose queries fail is skipped
 * and listed with the reason. Platform choice: {@code -Ddcn4j.opencl.platform=NAME} (or
 * {@code DCN4J_OPENCL_PLATFORM}) keeps only platforms whose name contains NAME, ignoring case (e.g.
 * {@code rusticl}, {@code portable} for PoCL). Device choice: {@link BackendOptions#device()}
 * ({@code -Ddcn4j.device=I}, {@code --device I}) indexes the devices of {@link #devices()};
 * {@code -1} takes the first GPU, else the first device.
 */
public final class OpenClProvider implements BackendProvider {

    /** The backend's name. */
    public static final String NAME = "opencl";

    /** Below {@code vector} (100): on a CPU-only machine PoCL is slower than the Vector API backend. */
    static final int PRIORITY = 50;

    /** The probe's outcome, computed once per JVM: JOCL's native loading cannot be retried anyway. */
    private static volatile Probe probe;

    private record Probe(Availability availability, List<ClDevice> devices, List<String> skipped) {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int priority() {
        return PRIORITY;
    }

    @Override
    public Availability availability() {
        return probe().availability();
    }

    /**
     * One line per device, {@code "I: platform / device (...)"}, in index order; then one line per
     * platform left out, with the reason ({@code "platform 'rusticl' skipped: clGetDeviceIDs failed:
     * ..."}, or not selected by {@code -Ddcn4j.opencl.platform}), so {@code dcn4j backends} shows it.
     */
    @Override
    public List<String> devices() {
        Probe p = probe();
        List<String> lines = new java.util.ArrayList<>(p.devices().stream().map(ClDevice::describe).toList());
        lines.addAll(p.skipped());
        return List.copyOf(lines);
    }

    @Override
    public Backend open(BackendOptions options) {
        if (options == null) throw new IllegalArgumentException("options: expected BackendOptions, got null");
        Probe p = probe();
        if (!p.availability().available()) {
            throw new IllegalStateException("backend '" + NAME + "' is unavailable: " + p.availability().reason());
        }
        return new OpenClBackend(ClDevice.select(p.devices(), options.device()));
    }

    private static Probe probe() {
        Probe p = probe;
        if (p == null) {
            synchronized (OpenClProvider.class) {
                p = probe;
                if (p == null) probe = p = runProbe();
            }
        }
        return p;
    }

    /** Lists platforms and devices; any failure of native loading or of OpenCL becomes a reason. */
    private static Probe runProbe() {
        String selector = ClDevice.platformSelector();
        ClDevice.Discovery found;
        try {
            found = ClDevice.discover(selector);
        } catch (UnsatisfiedLinkError e) {
            return unavailable(reasonForLinkError(e));
        } catch (OpenClException e) {
            return unavailable("OpenCL platform query failed: " + e.getMessage());
        } catch (Throwable e) { // NOPMD: JOCL's static initialiser may fail in many ways; none may escape
            if (e instanceof VirtualMachineError vme && !(e instanceof OutOfMemoryError)) throw vme;
            Throwable root = e;
            while (root.getCause() != null) root = root.getCause();
            if (root instanceof UnsatisfiedLinkError ule) return unavailable(reasonForLinkError(ule));
            return unavailable("JOCL could not be initialised: " + e);
        }
        if (found.devices().isEmpty()) {
            if (found.skipped().isEmpty()) {
                return unavailable("no OpenCL platform found (install an ICD, e.g. pocl-opencl-icd)");
            }
            String why = "no OpenCL device found" + (selector == null ? "" : " on a platform matching "
                    + ClDevice.PLATFORM_PROPERTY + "=" + selector) + "; " + String.join("; ", found.skipped());
            return new Probe(Availability.no(why), List.of(), found.skipped());
        }
        return new Probe(Availability.yes(), found.devices(), found.skipped());
    }

    private static String reasonForLinkError(UnsatisfiedLinkError e) {
        String m = String.valueOf(e.getMessage());
        if (m.contains("OpenCL library")) {
            // JOCL 2.0.5 dlopen()s exactly "libOpenCL.so"; Debian's ocl-icd-libopencl1 ships only
            // libOpenCL.so.1, the unversioned link comes with ocl-icd-opencl-dev.
            return "OpenCL ICD loader not found: JOCL needs 'libOpenCL.so' on the library path (Debian/Ubuntu: "
                    + "apt-get install ocl-icd-libopencl1 ocl-icd-opencl-dev pocl-opencl-icd; JOCL said: " + m + ")";
        }
        return "JOCL native library could not be loaded on " + System.getProperty("os.name") + "/"
                + System.getProperty("os.arch") + ": " + m;
    }

    private static Probe unavailable(String reason) {
        return new Probe(Availability.no(reason), List.of(), List.of());
    }
}
