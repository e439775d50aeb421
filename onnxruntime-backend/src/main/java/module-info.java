/**
 * The {@code onnxruntime} backend: deformable convolution forward through ONNX Runtime's CPU
 * {@code DeformConv} kernel, a third-party implementation checked by dcn4j's suite (DESIGN.md).
 *
 * <p>ONNX Runtime loads its native library with JNI: on JDK 24 and later start the JVM with
 * {@code --enable-native-access=com.microsoft.onnxruntime} (module path) or
 * {@code --enable-native-access=ALL-UNNAMED} (class path) to allow it without a warning.
 *
 * @provides dcn4j.spi.BackendProvider the {@code onnxruntime} backend (forward only, lowest priority)
 */
module dcn4j.onnxruntime {
    requires transitive dcn4j;
    requires com.microsoft.onnxruntime;

    exports dcn4j.onnxruntime;

    provides dcn4j.spi.BackendProvider with dcn4j.onnxruntime.OnnxRuntimeProvider;
}
