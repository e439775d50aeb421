package dcn4j.conformance.internal;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import net.jqwik.api.Example;
import net.jqwik.api.lifecycle.AddLifecycleHook;

/** A property of the suite that runs once (case replay): a jqwik {@link Example} recorded by {@link ConformanceHook}. */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
@Example
@AddLifecycleHook(ConformanceHook.class)
public @interface ConformanceExample {
}
