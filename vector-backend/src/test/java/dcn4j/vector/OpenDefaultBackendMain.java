package dcn4j.vector;

import dcn4j.Backend;
import dcn4j.Backends;

/** Child-JVM probe of {@link VectorProviderWithoutModuleTest}: opens the default backend twice, prints each name. */
public final class OpenDefaultBackendMain {

    private OpenDefaultBackendMain() {
    }

    public static void main(String[] args) {
        System.out.println("vector: " + Backends.provider("vector").availability().reason());
        for (int i = 0; i < 2; i++) {
            try (Backend b = Backends.open()) {
                System.out.println("opened " + b.name());
            }
        }
    }
}
