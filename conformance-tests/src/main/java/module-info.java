/**
 * The dcn4j conformance suite as a library (DESIGN.md "Conformance suite"): abstract jqwik verification
 * classes a backend's tests subclass, and the runner behind {@code dcn4j conformance}.
 *
 * <p>The module is open: JUnit and jqwik create the suite's classes, its lifecycle hook and its
 * generators by reflection.
 *
 * @uses dcn4j.spi.BackendProvider
 */
open module dcn4j.conformance {
    requires transitive dcn4j;
    requires transitive net.jqwik.api;
    requires transitive org.junit.platform.launcher;
    requires org.junit.jupiter.api;
    requires org.opentest4j;
    requires ejml.core;
    requires ejml.ddense;

    exports dcn4j.conformance;

    uses dcn4j.spi.BackendProvider;
}
