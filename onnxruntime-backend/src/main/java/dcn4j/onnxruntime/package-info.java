/**
 * The {@code onnxruntime} backend: {@code deform_conv2d} forward through ONNX Runtime's CPU
 * {@code DeformConv} kernel (ONNX opset 19), a deformable convolution dcn4j did not write, checked by
 * the conformance suite like any third-party backend (DESIGN.md "Capabilities and third-party
 * backends"). {@link dcn4j.onnxruntime.OnnxRuntimeProvider} declares forward {@code deform_conv2d}
 * in F32 only; its priority is below every dcn4j backend, so it is used only when named:
 * {@code dcn4j conformance --backend onnxruntime}, {@code dcn4j bench --backend onnxruntime}.
 */
package dcn4j.onnxruntime;
