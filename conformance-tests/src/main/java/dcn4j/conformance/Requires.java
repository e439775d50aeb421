package dcn4j.conformance;

import dcn4j.spi.Capabilities;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The operations a rule needs the backend under test to implement
 * ({@link dcn4j.spi.BackendProvider#capabilities()}). A rule whose operations a backend does not
 * declare is reported as "not supported", never as passed, and not run. A rule that also checks an
 * optional part (e.g. the backward of an identity) checks that part only when declared and says so
 * in its note.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface Requires {

    /** Every operation the rule calls on the backend under test. */
    Capabilities.Operation[] value();

    /** Every semantic promise the rule checks ({@link Capabilities.Guarantee}); none by default. */
    Capabilities.Guarantee[] guarantees() default {};
}
