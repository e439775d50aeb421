package dcn4j.conformance.internal;

import dcn4j.conformance.Verification;
import java.util.ArrayList;
import java.util.List;

/**
 * Property 6: calls that must fail with an {@link IllegalArgumentException} whose message names
 * the argument (DESIGN.md "Errors": argument, expected and actual value).
 */
public final class BadInputs {

    /** A call that must be rejected, and the argument its message must name. */
    public record BadCall(String description, String argument, Runnable call) {
    }

    private BadInputs() {
    }

    /** Runs every call; fails listing each one that was accepted or rejected the wrong way. */
    public static void check(RuleContext v, List<BadCall> calls) {
        List<String> wrong = new ArrayList<>();
        for (BadCall c : calls) {
            try {
                c.call().run();
                wrong.add(c.description() + ": accepted");
            } catch (IllegalArgumentException e) {
                String m = String.valueOf(e.getMessage());
                if (!m.contains(c.argument()) || !m.contains("expected")) {
                    wrong.add(c.description() + ": message does not name '" + c.argument()
                            + "' and what was expected: \"" + m + "\"");
                }
            } catch (RuntimeException | Error e) {
                wrong.add(c.description() + ": threw " + e + " instead of IllegalArgumentException");
            }
        }
        v.expectWithin("bad inputs handled wrongly (" + calls.size() + " tried)", wrong.size(), 0);
        if (!wrong.isEmpty()) throw new AssertionError(String.join("\n", wrong));
    }

    /** Fails unless {@code after} is bit-identical to {@code before}: an error must leave the arguments untouched. */
    public static void unchanged(RuleContext v, String what, double[] before, double[] after) {
        if (!java.util.Arrays.equals(before, after)) {
            v.expectWithin(what + " changed by a rejected call", 1, 0);
        }
    }
}
