/**
 * dcn4j: deformable convolution and deformable (PS) RoI pooling on the JVM (DESIGN.md "Public API").
 *
 * <p>This module holds the public API ({@link dcn4j.Backends}, {@link dcn4j.Backend}, {@link dcn4j.Tensor},
 * the specs), the service-provider interface {@link dcn4j.spi.BackendProvider} with the argument checks
 * every backend shares, case directories and NumPy files ({@code dcn4j.io}), and the float64 reference
 * backend, which defines the semantics. Backends are found with {@link java.util.ServiceLoader}: put
 * {@code dcn4j.vector} or {@code dcn4j.opencl} on the module path (or the class path) next to this one.
 *
 * @uses dcn4j.spi.BackendProvider
 * @provides dcn4j.spi.BackendProvider the {@code reference} backend
 */
module dcn4j {
    // EJML ships without a module name; these are the names the module system derives from its jars.
    requires ejml.core;
    requires ejml.ddense;

    exports dcn4j;
    exports dcn4j.spi;
    exports dcn4j.io;
    // The reference provider is reached through ServiceLoader; the suite alone names it directly (its oracle).
    exports dcn4j.reference to dcn4j.conformance;

    uses dcn4j.spi.BackendProvider;
    provides dcn4j.spi.BackendProvider with dcn4j.reference.ReferenceProvider;
}
