package dcn4j.conformance;

import dcn4j.spi.BackendProvider;
import net.jqwik.api.Group;

/** A backend test whose provider is unavailable, launched by {@link UnavailableBackendTest}. */
class UnavailableBackendFixture {

    @Group
    class DeformConv2d extends DeformConv2dVerification {
        @Override
        protected BackendProvider provider() {
            return new ConformanceRunnerTest.Unavailable("OpenCL ICD loader not found");
        }
    }

    @Group
    class DeformPsRoiPool extends DeformPsRoiPoolVerification {
        @Override
        protected BackendProvider provider() {
            return new ConformanceRunnerTest.Unavailable("OpenCL ICD loader not found");
        }
    }
}
