package dcn4j.conformance.internal;

import dcn4j.BackendOptions;
import dcn4j.Backends;
import dcn4j.conformance.ConformanceRunner;
import dcn4j.spi.BackendProvider;

/**
 * The backend {@link SelectedBackendConformance} verifies: set by {@link ConformanceRunner} for
 * its run, else named by the system properties {@value #BACKEND} (default {@code reference}) and
 * {@value #DEVICE}.
 */
public final class SelectedBackend {

    public static final String BACKEND = "dcn4j.conformance.backend";
    public static final String DEVICE = "dcn4j.conformance.device";

    private record Selection(BackendProvider provider, BackendOptions options) {
    }

    private static volatile Selection selected;

    private SelectedBackend() {
    }

    public static void set(BackendProvider provider, BackendOptions options) {
        selected = new Selection(provider, options);
    }

    public static void clear() {
        selected = null;
    }

    public static BackendProvider provider() {
        Selection s = selected;
        return s != null ? s.provider() : Backends.provider(System.getProperty(BACKEND, "reference"));
    }

    public static BackendOptions options() {
        Selection s = selected;
        return s != null ? s.options() : BackendOptions.defaults().withDevice(Integer.getInteger(DEVICE, -1));
    }
}
