package dcn4j.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code dcn4j backends}: placeholder until its issue lands (prints so and fails). */
@Command(name = "backends", description = "(not in this build yet)")
final class BackendsCommand implements Callable<Integer> {

    @Override
    public Integer call() {
        System.err.println("dcn4j backends: not in this build yet");
        return 2;
    }
}
