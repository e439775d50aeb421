package dcn4j.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code dcn4j conformance}: placeholder until its issue lands (prints so and fails). */
@Command(name = "conformance", description = "(not in this build yet)")
final class ConformanceCommand implements Callable<Integer> {

    @Override
    public Integer call() {
        System.err.println("dcn4j conformance: not in this build yet");
        return 2;
    }
}
