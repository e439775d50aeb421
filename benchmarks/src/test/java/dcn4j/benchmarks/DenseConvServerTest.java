package dcn4j.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * The protocol of {@link DenseConvServer} against a stand-in child (a JVM running {@link FakeServer}, so that the
 * build never needs Python): figures come back as the child wrote them, an answer that is not a figure or a child
 * that dies is an {@link IOException} that says which and carries the child's stderr, and a call during which this
 * JVM was busy is repeated and counted.
 */
class DenseConvServerTest {

    /** The stand-in for {@code side_by_side_torch.py --serve}: {@code args[0]} is its behaviour. */
    public static final class FakeServer {
        public static void main(String[] args) throws Exception {
            String mode = args[0];
            System.out.println("# fake server " + mode);
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line; (line = in.readLine()) != null; ) {
                String cmd = line.split(" ")[0];
                if (cmd.equals("quit")) return;
                if (mode.equals("dies") && cmd.equals("fwd")) {
                    System.err.println("fake failure: out of operands");
                    System.exit(3);
                }
                String answer = switch (cmd) {
                    case "shape", "warm" -> "ok";
                    case "fwd" -> mode.equals("garbled") ? "Traceback (most recent call last)" : "1.25";
                    case "bwd" -> "2.5";
                    case "fwd-warm" -> "1.125";
                    case "bwd-warm" -> "2.25";
                    default -> "error: unknown command " + cmd;
                };
                if (mode.equals("slow")) Thread.sleep(30);
                System.out.println(answer);
                System.out.flush();
            }
        }
    }

    private static DenseConvServer start(String mode) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        return new DenseConvServer(List.of(java, "-cp", System.getProperty("java.class.path"),
                FakeServer.class.getName(), mode));
    }

    @Test
    void figuresComeBackAsTheChildWroteThem() throws Exception {
        try (DenseConvServer s = start("fine")) {
            assertEquals("fake server fine", s.description);
            s.prepare("1,64,56,56,64", 0.1);
            assertEquals(1.25, s.forwardMs(false));
            assertEquals(2.5, s.backwardMs(false));
            // The warm calls are their own commands (side_by_side_torch.py: an untimed call first).
            assertEquals(1.125, s.forwardMs(true));
            assertEquals(2.25, s.backwardMs(true));
        }
    }

    @Test
    void anAnswerThatIsNotAFigureIsAnErrorNamingIt() throws Exception {
        try (DenseConvServer s = start("garbled")) {
            s.prepare("1,64,56,56,64", 0.1);
            IOException e = assertThrows(IOException.class, () -> s.forwardMs(false));
            assertTrue(e.getMessage().contains("expected a time in ms, got: Traceback"), e.getMessage());
        }
    }

    @Test
    void aChildThatDiesIsAnErrorWithItsStderr() throws Exception {
        try (DenseConvServer s = start("dies")) {
            s.prepare("1,64,56,56,64", 0.1);
            IOException e = assertThrows(IOException.class, () -> s.forwardMs(false));
            assertTrue(e.getMessage().contains("the child exited after 'fwd'"), e.getMessage());
            assertTrue(e.getMessage().contains("fake failure: out of operands"), e.getMessage());
        }
    }

    @Test
    void aCallDuringWhichThisJvmWasBusyIsRepeated() throws Exception {
        try (DenseConvServer s = start("slow")) {
            s.prepare("1,64,56,56,64", 0.1);
            AtomicBoolean stop = new AtomicBoolean();
            Thread busy = new Thread(() -> {
                long x = 0;
                while (!stop.get()) x += System.nanoTime() & 1;
                if (x == 42) System.out.println();
            });
            busy.start();
            try {
                assertEquals(1.25, s.forwardMs(false));
            } finally {
                stop.set(true);
                busy.join();
            }
            // Every attempt overlapped the busy thread: all repeated, and the last figure returned.
            assertEquals(DenseConvServer.ATTEMPTS, s.disturbed);
        }
    }
}
