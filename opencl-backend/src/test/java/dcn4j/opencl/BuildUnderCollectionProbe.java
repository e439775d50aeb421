package dcn4j.opencl;

import dcn4j.Backends;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The body of {@link ClProgramBuildTest}, run in a child JVM with or without {@code libjsig} preloaded: compiles
 * throw-away programs while one thread keeps requesting garbage collections and another runs compiled Java code
 * (whose safepoint polls are what raise SIGSEGV; with the interpreter only, builds never failed). Prints one line
 * {@code builds=N failed=F advised=A preloaded=true|false}, then the first failure's message, if any.
 */
public final class BuildUnderCollectionProbe {

    private BuildUnderCollectionProbe() {
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        int builds = Integer.parseInt(args[0]);
        AtomicBoolean done = new AtomicBoolean();
        AtomicLong sink = new AtomicLong();
        Thread collector = new Thread(() -> {
            while (!done.get()) System.gc();
        }, "gc-requests");
        Thread compiled = new Thread(() -> {
            long s = 1;
            while (!done.get()) {
                for (int i = 0; i < 10_000; i++) s = s * 31 + i;
                sink.set(s);
            }
        }, "compiled-loop");
        int failed = 0, advised = 0;
        String first = null;
        try (OpenClBackend cl = (OpenClBackend) Backends.open(OpenClProvider.NAME)) {
            collector.start();
            compiled.start();
            for (int i = 0; i < builds; i++) {
                try {
                    // A different source each time, so that no build is served from a cache before the compiler runs.
                    cl.buildForTest("probe" + i + ".cl",
                            "__kernel void probe(__global float* x) { x[get_global_id(0)] += " + i + ".0f; }");
                } catch (OpenClException e) {
                    failed++;
                    if (e.getMessage().contains("LD_PRELOAD=") && e.getMessage().contains("libjsig.so")
                            && e.getMessage().contains(Cl.BUILD_ATTEMPTS + " times in a row")) {
                        advised++;
                    }
                    if (first == null) first = e.getMessage();
                }
            }
        } finally {
            done.set(true);
            collector.join();
            compiled.join();
        }
        boolean preloaded = Files.readString(Path.of("/proc/self/maps")).contains("libjsig.so");
        System.out.println("builds=" + builds + " failed=" + failed + " advised=" + advised + " preloaded=" + preloaded);
        if (first != null) System.out.println(first);
    }
}
