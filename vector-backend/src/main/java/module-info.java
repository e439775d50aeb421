/**
 * The {@code vector} backend: float32 on the CPU with the Vector API (DESIGN.md "Public API").
 *
 * <p>{@code jdk.incubator.vector} is required statically: without {@code --add-modules jdk.incubator.vector}
 * the JVM still starts and the provider reports itself present but unavailable, with that reason, on the
 * module path exactly as on the class path.
 *
 * @provides dcn4j.spi.BackendProvider the {@code vector} backend
 */
module dcn4j.vector {
    requires transitive dcn4j;
    requires static jdk.incubator.vector;
    // HotSpot's UseFMA and UseAVX flags choose the multiply-add and the register tile (DESIGN.md "Vector width and GEMM tiles").
    requires java.management;
    requires jdk.management;

    exports dcn4j.vector;

    provides dcn4j.spi.BackendProvider with dcn4j.vector.VectorProvider;
}
