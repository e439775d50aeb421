package dcn4j.onnxruntime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dcn4j.DType;
import dcn4j.DeformConv2dSpec;
import dcn4j.spi.DeformConv2dShape;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The model bytes are a valid one-node opset-19 model that ONNX Runtime reads with the intended inputs. */
class DeformConvModelTest {

    private static DeformConv2dShape shape(boolean mask, boolean bias) {
        DeformConv2dSpec spec = new DeformConv2dSpec(2, 1, 1, 0, 1, 2, 2, 3);
        return new DeformConv2dShape(spec, DType.F32, 2, 6, 9, 8, 4, 3, 2, spec.outputHeight(9, 3),
                spec.outputWidth(8, 2), true, mask, bias);
    }

    private static void check(DeformConv2dShape s, List<String> inputs) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions();
             OrtSession session = env.createSession(DeformConvModel.of(s), o)) {
            assertEquals(inputs, List.copyOf(session.getInputNames()));
            Map<String, NodeInfo> in = session.getInputInfo();
            assertEquals(Arrays.toString(toLong(s.offsetShape())),
                    Arrays.toString(((TensorInfo) in.get("offset").getInfo()).getShape()));
            assertEquals(Arrays.toString(toLong(s.outputShape())),
                    Arrays.toString(((TensorInfo) session.getOutputInfo().get("Y").getInfo()).getShape()));
        }
    }

    private static long[] toLong(int[] v) {
        return Arrays.stream(v).asLongStream().toArray();
    }

    @Test
    void optionalInputsArePresentOnlyWhenGiven() throws Exception {
        check(shape(false, false), List.of("X", "W", "offset"));
        check(shape(false, true), List.of("X", "W", "offset", "B"));
        check(shape(true, false), List.of("X", "W", "offset", "mask"));
        check(shape(true, true), List.of("X", "W", "offset", "B", "mask"));
    }
}
