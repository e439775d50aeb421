package dcn4j.conformance.internal;

import dcn4j.Backend;
import dcn4j.BackendOptions;
import dcn4j.reference.ReferenceProvider;
import dcn4j.spi.BackendProvider;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The backends the suite has opened, one per provider and options, shared by every property of a
 * run (opening an OpenCL backend compiles its kernels) and closed by {@link #closeAll()} at the end
 * of a run or when the JVM exits.
 */
public final class OpenBackends {

    private static final Map<String, Backend> OPEN = new LinkedHashMap<>();
    private static boolean hookInstalled;

    private OpenBackends() {
    }

    public static synchronized Backend get(BackendProvider provider, BackendOptions options) {
        String key = provider.name() + " " + options;
        Backend b = OPEN.get(key);
        if (b == null) {
            b = provider.open(options);
            OPEN.put(key, b);
            if (!hookInstalled) {
                Runtime.getRuntime().addShutdownHook(new Thread(OpenBackends::closeAll, "dcn4j-conformance-close"));
                hookInstalled = true;
            }
        }
        return b;
    }

    /** The float64 reference: the numerical oracle every property compares with. */
    public static Backend reference() {
        return get(new ReferenceProvider(), BackendOptions.defaults());
    }

    public static void closeAll() {
        List<Backend> toClose;
        synchronized (OpenBackends.class) {
            toClose = new ArrayList<>(OPEN.values());
            OPEN.clear();
        }
        for (Backend b : toClose) {
            try {
                b.close();
            } catch (RuntimeException e) {
                System.err.println("dcn4j conformance: closing backend " + b.name() + " failed: " + e);
            }
        }
    }
}
