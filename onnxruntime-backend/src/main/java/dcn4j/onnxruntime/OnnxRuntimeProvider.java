package dcn4j.onnxruntime;

import dcn4j.Backend;
import dcn4j.BackendOptions;
import dcn4j.DType;
import dcn4j.spi.BackendProvider;
import dcn4j.spi.Capabilities;
import java.util.EnumSet;
import java.util.List;

/**
 * Provider of the {@code onnxruntime} backend: {@code deform_conv2d} forward through ONNX Runtime's
 * CPU {@code DeformConv} kernel, a deformable convolution dcn4j did not write, checked by the
 * conformance suite like any third-party backend (DESIGN.md "Third-party backends"). Priority -10,
 * below every dcn4j backend (the reference has 0), so it is used only when named.
 *
 * <p>It declares {@link #CAPABILITIES}: forward {@code deform_conv2d} in F32. The provider never
 * touches an ONNX Runtime type itself, so it loads (and reports itself unavailable, with the
 * reason) when the ONNX Runtime jar or its native library is missing.
 */
public final class OnnxRuntimeProvider implements BackendProvider {

    /** The backend's name. */
    public static final String NAME = "onnxruntime";

    /**
     * What the backend computes: {@code deform_conv2d} forward, float32, torchvision's border rule (ONNX's).
     * Non-finite propagation is not promised: ONNX Runtime's kernel does not place NaN and infinities
     * where DESIGN.md "Non-finite values" does (conv12 fails on it), and the engine is not dcn4j's to
     * change, so conv12 is reported as "not supported" for it.
     */
    public static final Capabilities CAPABILITIES = Capabilities.of(
            EnumSet.of(Capabilities.Operation.DEFORM_CONV2D_FORWARD), EnumSet.of(DType.F32),
            EnumSet.of(dcn4j.DeformConv2dSpec.Border.TORCHVISION), EnumSet.noneOf(Capabilities.Guarantee.class));

    /** Probed once per JVM: loading the native library is slow and its outcome does not change. */
    private static volatile Availability availability;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int priority() {
        return -10;
    }

    @Override
    public Capabilities capabilities() {
        return CAPABILITIES;
    }

    @Override
    public Availability availability() {
        Availability a = availability;
        if (a == null) {
            try {
                Class.forName("ai.onnxruntime.OrtEnvironment", false, OnnxRuntimeProvider.class.getClassLoader());
            } catch (ClassNotFoundException | LinkageError e) {
                return availability = Availability.no("the ONNX Runtime jar (com.microsoft.onnxruntime:onnxruntime) "
                        + "is not on the class path");
            }
            try {
                OnnxRuntimeBackend.version();
                a = Availability.yes();
            } catch (RuntimeException | LinkageError e) {
                a = Availability.no("ONNX Runtime cannot load its native library: " + e);
            }
            availability = a;
        }
        return a;
    }

    @Override
    public List<String> devices() {
        if (!availability().available()) return List.of();
        return List.of("0: host CPU, ONNX Runtime " + OnnxRuntimeBackend.version() + " CPU execution provider");
    }

    @Override
    public Backend open(BackendOptions options) {
        Availability a = availability();
        if (!a.available()) throw new IllegalStateException("backend '" + NAME + "' is unavailable: " + a.reason());
        if (options == null) throw new IllegalArgumentException("options: expected BackendOptions, got null");
        return new OnnxRuntimeBackend(options.effectiveThreads());
    }
}
