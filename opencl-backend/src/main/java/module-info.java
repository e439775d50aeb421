/**
 * The {@code opencl} backend: float32 on any OpenCL 1.2 device through JOCL (DESIGN.md "Public API").
 *
 * <p>JOCL loads its native library with JNI: on JDK 24 and later start the JVM with
 * {@code --enable-native-access=jocl} (module path) or {@code --enable-native-access=ALL-UNNAMED}
 * (class path) to allow it without a warning.
 *
 * @provides dcn4j.spi.BackendProvider the {@code opencl} backend
 */
module dcn4j.opencl {
    requires transitive dcn4j;
    // JOCL ships without a module name; "jocl" is the name the module system derives from jocl-VERSION.jar.
    requires jocl;

    exports dcn4j.opencl;

    provides dcn4j.spi.BackendProvider with dcn4j.opencl.OpenClProvider;
}
