package dcn4j.opencl;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs a main class of the test class path in a child JVM (own flags, own environment), with a time limit. */
final class ChildJvm {

    /** The limit of {@link #run(List, Map, Class, String...)}. */
    static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(5);

    private ChildJvm() {
    }

    record Result(int exitCode, String output) {
    }

    /** Thrown when the child outlives its time limit; it has been killed. */
    static final class TimedOut extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        TimedOut(String message) {
            super(message);
        }
    }

    static Result run(List<String> jvmFlags, Map<String, String> env, Class<?> main, String... args)
            throws IOException, InterruptedException {
        return run(DEFAULT_TIMEOUT, jvmFlags, env, main, args);
    }

    /**
     * Runs {@code main} and waits at most {@code timeout}: the child's output (stdout and stderr)
     * goes to a file, not a pipe, so nothing blocks on reading it before the wait (a pipe read to
     * the end would wait for the child to exit, whatever the limit). On time-out the child is
     * killed and {@link TimedOut} carries the output it wrote.
     */
    static Result run(Duration timeout, List<String> jvmFlags, Map<String, String> env, Class<?> main,
                      String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.addAll(jvmFlags);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(main.getName());
        cmd.addAll(List.of(args));
        Path log = Files.createTempFile("dcn4j-child-" + main.getSimpleName(), ".log");
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            pb.environment().putAll(env);
            Process p = pb.start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                p.waitFor(30, TimeUnit.SECONDS);
                throw new TimedOut("child JVM " + main.getSimpleName() + " timed out after " + timeout
                        + "; its output:\n" + Files.readString(log, StandardCharsets.UTF_8));
            }
            return new Result(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
