package dcn4j.conformance;

import dcn4j.BackendOptions;
import dcn4j.Backends;
import dcn4j.spi.BackendProvider;

/**
 * The backend {@link SelectedBackendConformance} verifies: set by {@link ConformanceRunner} for
 * its run, else named by the system properties {@value #BACKEND} (default {@code reference}) and
 * {@value #DEVICE}.
 */
final class SelectedBackend {

    static final String BACKEND = "dcn4j.conformance.backend";
    static final String DEVICE = "dcn4j.conformance.device";

    private record Selection(BackendProvider provider, BackendOptions options) {
    }

    private static volatile Selection selected;

    private SelectedBackend() {
    }

    static void set(BackendProvider provider, BackendOptions options) {
        selected = new Selection(provider, options);
    }

    static void clear() {
        selected = null;
    }

    static BackendProvider provider() {
        Selection s = selected;
        return s != null ? s.provider() : Backends.provider(System.getProperty(BACKEND, "reference"));
    }

    static BackendOptions options() {
        Selection s = selected;
        return s != null ? s.options() : BackendOptions.defaults().withDevice(Integer.getInteger(DEVICE, -1));
    }
}
