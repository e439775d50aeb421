package dcn4j.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code dcn4j eval}: placeholder until its issue lands (prints so and fails). */
@Command(name = "eval", description = "(not in this build yet)")
final class EvalCommand implements Callable<Integer> {

    @Override
    public Integer call() {
        System.err.println("dcn4j eval: not in this build yet");
        return 2;
    }
}
