package dcn4j.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * PyTorch's dense conv2d, one call at a time, in a child process ({@code side_by_side_torch.py --serve}):
 * {@link SideBySide} times it between its own repetitions, so that dcn4j and the dense baseline are measured
 * seconds apart instead of minutes apart (on a shared machine the speed of both changed by up to 2x from one
 * minute to the next; benchmarks/RESULTS.md, seventh pass). The child times its calls itself
 * ({@code time.perf_counter} around the call alone); the pipe's latency is not in the figures.
 *
 * <p>While the child runs, this JVM must be idle, or it takes one of the two cores from PyTorch's two threads,
 * whose OpenMP barriers then wait for a descheduled thread: the first such run had dense calls 10x slower than
 * their neighbours, in the seconds when C2 was still compiling in the background. So each call is repeated
 * (after a pause) while this process used CPU time during it, up to {@link #ATTEMPTS} times; {@link #disturbed}
 * counts the repeats.
 */
final class DenseConvServer implements AutoCloseable {

    private final Process process;
    private final BufferedReader out;
    private final Writer in;
    private final Path errors;
    /** The child's first line: torch version, threads, oneDNN ISA limit. */
    final String description;
    /** Calls made at most per timed figure: the first undisturbed one counts. */
    static final int ATTEMPTS = 10;
    /** This process's CPU time during a dense call above which the call is repeated. */
    static final long MAX_OWN_CPU_NANOS = 500_000;
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    /** Dense calls repeated because this JVM used CPU time while they ran. */
    int disturbed;

    DenseConvServer(List<String> command) throws IOException {
        errors = Files.createTempFile("dcn4j-dense-server", ".log");
        process = new ProcessBuilder(command).redirectError(errors.toFile()).start();
        out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        String first = out.readLine();
        if (first == null || !first.startsWith("#")) throw failure("no header line from " + command + " (got " + first + ")");
        description = first.substring(1).trim();
    }

    /** Makes the operands of {@code N,C,H,W,O} (3x3, padding 1) and warms forward and backward for {@code seconds}. */
    void prepare(String shape, double seconds) throws IOException {
        expectOk(request("shape " + shape));
        expectOk(request("warm " + seconds));
    }

    /** One dense forward; its ms. {@code warm}: right after an untimed one ({@link SideBySide#warmCalls}). */
    double forwardMs(boolean warm) throws IOException, InterruptedException {
        return undisturbed(warm ? "fwd-warm" : "fwd");
    }

    /** One dense backward (input and weight gradients); its ms. {@code warm}: right after an untimed one. */
    double backwardMs(boolean warm) throws IOException, InterruptedException {
        return undisturbed(warm ? "bwd-warm" : "bwd");
    }

    private double undisturbed(String command) throws IOException, InterruptedException {
        double ms = Double.NaN;
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            long before = OS.getProcessCpuTime();
            ms = number(request(command));
            if (OS.getProcessCpuTime() - before <= MAX_OWN_CPU_NANOS) return ms;
            disturbed++;
            Thread.sleep(200);
        }
        return ms;
    }

    private String request(String line) throws IOException {
        in.write(line + "\n");
        in.flush();
        String answer = out.readLine();
        if (answer == null) throw failure("the child exited after '" + line + "'");
        return answer;
    }

    private void expectOk(String answer) throws IOException {
        if (!answer.equals("ok")) throw failure("expected ok, got: " + answer);
    }

    private double number(String answer) throws IOException {
        try {
            return Double.parseDouble(answer);
        } catch (NumberFormatException e) {
            throw failure("expected a time in ms, got: " + answer);
        }
    }

    private IOException failure(String what) throws IOException {
        String log = Files.exists(errors) ? Files.readString(errors) : "";
        String tail = log.length() > 2000 ? log.substring(log.length() - 2000) : log;
        return new IOException("dense conv2d server: " + what + (tail.isBlank() ? "" : "; its stderr:\n" + tail));
    }

    @Override
    public void close() throws IOException {
        try {
            in.write("quit\n");
            in.flush();
        } catch (IOException ignored) {
            // already gone
        }
        try {
            if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) process.destroyForcibly();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        Files.deleteIfExists(errors);
    }
}
