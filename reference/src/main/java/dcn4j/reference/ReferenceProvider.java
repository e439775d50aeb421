package dcn4j.reference;

import dcn4j.Backend;
import dcn4j.BackendOptions;
import dcn4j.spi.BackendProvider;
import java.util.List;

/** Provider of the scalar float64 reference backend: always available, lowest priority. */
public final class ReferenceProvider implements BackendProvider {

    /** The backend's name. */
    public static final String NAME = "reference";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int priority() {
        return 0;
    }

    @Override
    public Availability availability() {
        return Availability.yes();
    }

    @Override
    public List<String> devices() {
        return List.of("0: host CPU, scalar float64 (the numerical oracle)");
    }

    @Override
    public Backend open(BackendOptions options) {
        return new ReferenceBackend();
    }
}
