package dcn4j.spi;

import dcn4j.Backend;
import dcn4j.BackendOptions;
import java.util.List;

/**
 * Service-provider interface through which {@link java.util.ServiceLoader} finds backends
 * ({@code META-INF/services/dcn4j.spi.BackendProvider}). A provider must be cheap to construct and
 * must never fail to load: a backend whose runtime is missing (no OpenCL platform) is present but
 * {@linkplain #availability() unavailable}, with the reason.
 */
public interface BackendProvider {

    /** Unique lower-case name, e.g. {@code "opencl"}. */
    String name();

    /** Higher wins when no backend is named; the reference has 0. */
    int priority();

    /** Whether {@link #open} can succeed on this machine, and if not, why. */
    Availability availability();

    /** The devices this provider can compute on, one line each, in index order (may be empty). */
    default List<String> devices() {
        return List.of();
    }

    /**
     * What the backend computes (operators, forward and backward, element types); by default
     * everything. The conformance suite reports the rules outside it as "not supported".
     */
    default Capabilities capabilities() {
        return Capabilities.all();
    }

    /** Opens a backend; throws {@link IllegalStateException} with the reason when unavailable. */
    Backend open(BackendOptions options);

    /** Availability of a provider: {@code available}, or not with a reason a user can act on. */
    record Availability(boolean available, String reason) {
        public static Availability yes() {
            return new Availability(true, "available");
        }

        public static Availability no(String reason) {
            return new Availability(false, reason);
        }
    }
}
