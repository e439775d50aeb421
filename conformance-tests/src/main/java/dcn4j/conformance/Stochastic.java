package dcn4j.conformance;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a rule whose verdict depends on the thread scheduler: a race shows only when threads
 * interleave the wrong way, so a pass is evidence, not proof, and a buggy backend may pass some
 * runs (the Reactive Streams TCK marks such tests "stochastic" too). A failure is always real.
 * The runner's table shows the mark.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface Stochastic {
}
