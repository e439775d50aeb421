package dcn4j.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code dcn4j train}: placeholder until its issue lands (prints so and fails). */
@Command(name = "train", description = "(not in this build yet)")
final class TrainCommand implements Callable<Integer> {

    @Override
    public Integer call() {
        System.err.println("dcn4j train: not in this build yet");
        return 2;
    }
}
