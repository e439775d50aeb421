package dcn4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code dcn4j} command (DESIGN.md "Command line"). Each subcommand lives in its own class;
 * errors a user can fix (bad arguments, malformed cases) end with one line on stderr and a
 * non-zero exit code, never a stack trace.
 */
@Command(name = "dcn4j", mixinStandardHelpOptions = true, version = "dcn4j 0.1.0",
        description = "Deformable Convolutional Networks on the JVM.",
        subcommands = {BackendsCommand.class, EvalCommand.class, ConformanceCommand.class, BenchCommand.class,
                TrainCommand.class, KitCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code (tests call this instead of {@link #main}). */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setParameterExceptionHandler((ex, given) -> {
            // A usage error is one line too (not the whole usage text), pointing at --help.
            CommandLine where = ex.getCommandLine();
            String name = where.getCommandSpec().qualifiedName(" ");
            where.getErr().println(name + ": " + ex.getMessage() + " (see '" + name + " --help')");
            return where.getCommandSpec().exitCodeOnInvalidInput();
        });
        cli.setExecutionExceptionHandler((ex, line, parsed) -> {
            // User-facing failures become one line; anything else is a bug and keeps its trace.
            if (ex instanceof IllegalArgumentException || ex instanceof IllegalStateException
                    || ex instanceof UnsupportedOperationException
                    || ex instanceof java.io.IOException || ex instanceof java.io.UncheckedIOException
                    || ex instanceof dcn4j.opencl.OpenClException) {
                line.getErr().println("dcn4j " + parsed.subcommand().commandSpec().name() + ": " + ex.getMessage());
                return 2;
            }
            throw ex;
        });
        try {
            return cli.execute(args);
        } catch (OutOfMemoryError e) {
            // Errors are not exceptions: picocli lets them through. Commands that know what was too big
            // say it themselves (eval); here the limit at least.
            System.err.println("dcn4j: out of memory (" + e.getMessage() + "); " + OutOfMemory.limit());
            return 2;
        }
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
