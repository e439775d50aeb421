package dcn4j.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code dcn4j bench}: placeholder until its issue lands (prints so and fails). */
@Command(name = "bench", description = "(not in this build yet)")
final class BenchCommand implements Callable<Integer> {

    @Override
    public Integer call() {
        System.err.println("dcn4j bench: not in this build yet");
        return 2;
    }
}
