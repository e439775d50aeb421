package dcn4j.conformance.internal;

import dcn4j.DType;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AddLifecycleHook;

/**
 * A generated property of the suite: a jqwik {@link Property} whose tries, seed and shrinking come
 * from {@link Settings} through {@link ConformanceHook}, which also records its outcome.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
@Property
@AddLifecycleHook(ConformanceHook.class)
public @interface ConformanceProperty {

    /** Relative cost of one try: tries = max(1, round(settings tries / cost)). */
    double cost() default 1.0;

    /**
     * Dtypes the rule needs besides the native one: on a backend that does not support one of them
     * ({@link dcn4j.Backend#supports}) the rule is skipped as "not supported", never passed.
     */
    DType[] dtypes() default {};
}
