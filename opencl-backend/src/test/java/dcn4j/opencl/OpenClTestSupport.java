package dcn4j.opencl;

import static org.junit.jupiter.api.Assertions.fail;

import dcn4j.Backend;
import dcn4j.BackendOptions;
import dcn4j.Backends;
import dcn4j.spi.BackendProvider;
import org.junit.jupiter.api.Assumptions;

/**
 * Opens the {@code opencl} backend for tests. Without an OpenCL platform the tests are skipped
 * with the provider's reason, except under {@code CI=true}, where CI installs PoCL and a missing
 * platform must fail the build instead of silently skipping every OpenCL test.
 */
final class OpenClTestSupport {

    private OpenClTestSupport() {
    }

    static boolean underCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /** Skips (or under CI fails) unless the provider is available. */
    static void requireOpenCl() {
        BackendProvider p = Backends.provider(OpenClProvider.NAME);
        BackendProvider.Availability a = p.availability();
        if (!a.available()) {
            if (underCi()) fail("CI=true but the opencl backend is unavailable: " + a.reason());
            Assumptions.abort("opencl backend unavailable: " + a.reason());
        }
    }

    static OpenClBackend open() {
        requireOpenCl();
        return (OpenClBackend) Backends.open(OpenClProvider.NAME, BackendOptions.defaults());
    }

    static Backend reference() {
        return Backends.open("reference");
    }
}
