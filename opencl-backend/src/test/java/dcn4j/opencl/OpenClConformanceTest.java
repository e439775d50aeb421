package dcn4j.opencl;

import dcn4j.Backends;
import dcn4j.conformance.DeformConv2dVerification;
import dcn4j.conformance.DeformPsRoiPoolVerification;
import dcn4j.spi.BackendProvider;
import net.jqwik.api.Group;

/**
 * The conformance suite (dcn4j-conformance) applied to the OpenCL backend, found by name through
 * {@link java.util.ServiceLoader}. On a machine without an OpenCL platform every property is
 * skipped with the provider's reason; under {@code CI=true} they fail instead, so CI cannot pass
 * without having run them. {@code -Ddcn4j.device=I} picks the device, {@code DCN4J_OPENCL_PLATFORM}
 * (or {@code -Ddcn4j.opencl.platform}) the platform, e.g. Mesa's rusticl on llvmpipe:
 * {@code RUSTICL_ENABLE=llvmpipe DCN4J_OPENCL_PLATFORM=rusticl ./run-tests -pl opencl-backend -am
 * -Dtest=OpenClConformanceTest -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class OpenClConformanceTest {

    private static BackendProvider opencl() {
        return Backends.provider("opencl");
    }

    @Group
    class DeformConv2d extends DeformConv2dVerification {
        @Override
        protected BackendProvider provider() {
            return opencl();
        }
    }

    @Group
    class DeformPsRoiPool extends DeformPsRoiPoolVerification {
        @Override
        protected BackendProvider provider() {
            return opencl();
        }
    }
}
