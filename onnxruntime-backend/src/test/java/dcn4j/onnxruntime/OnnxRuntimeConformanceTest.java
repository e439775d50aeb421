package dcn4j.onnxruntime;

import dcn4j.Backends;
import dcn4j.conformance.DeformConv2dVerification;
import dcn4j.conformance.DeformPsRoiPoolVerification;
import dcn4j.spi.BackendProvider;
import net.jqwik.api.Group;

/**
 * The conformance suite applied to ONNX Runtime's {@code DeformConv} through the {@code onnxruntime}
 * backend, by subclassing the verification classes as any third party would (see the conformance
 * package's documentation). The backend declares {@code deform_conv2d} forward only: the forward
 * rules run, the backward and pooling rules are skipped as "not supported". conv12 (non-finite values)
 * is "not supported" too: the provider does not promise non-finite propagation
 * ({@link OnnxRuntimeProvider#CAPABILITIES}), since ONNX Runtime's own kernel does not place NaN and
 * infinities where dcn4j's rule (torchvision's arithmetic) does.
 */
class OnnxRuntimeConformanceTest {

    private static BackendProvider onnxRuntime() {
        return Backends.provider(OnnxRuntimeProvider.NAME);
    }

    @Group
    class DeformConv2d extends DeformConv2dVerification {
        @Override
        protected BackendProvider provider() {
            return onnxRuntime();
        }
    }

    @Group
    class DeformPsRoiPool extends DeformPsRoiPoolVerification {
        @Override
        protected BackendProvider provider() {
            return onnxRuntime();
        }
    }
}
