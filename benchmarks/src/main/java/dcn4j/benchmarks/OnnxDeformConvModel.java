package dcn4j.benchmarks;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A one-node ONNX model, {@code DeformConv} of opset 19, written as protobuf bytes by hand (the ONNX
 * Java bindings do not build models): inputs {@code X [N,C,H,W]}, {@code W [O,C/g,kh,kw]},
 * {@code offset [N, 2*og*kh*kw, Ho, Wo]} and, when asked, {@code mask [N, og*kh*kw, Ho, Wo]} (bias absent,
 * given as the empty name); output {@code Y}. Field numbers are those of onnx.proto (ModelProto,
 * GraphProto, NodeProto, AttributeProto, ValueInfoProto, TypeProto, TensorShapeProto).
 */
final class OnnxDeformConvModel {

    private OnnxDeformConvModel() {
    }

    static byte[] build(int n, int c, int h, int w, int o, int kh, int kw, int pad, int stride, int dilation,
                        int groups, int offsetGroups, boolean mask) {
        int ho = (h + 2 * pad - dilation * (kh - 1) - 1) / stride + 1;
        int wo = (w + 2 * pad - dilation * (kw - 1) - 1) / stride + 1;
        Proto node = new Proto()
                .string(1, "X").string(1, "W").string(1, "offset");
        if (mask) node.string(1, "").string(1, "mask");
        node.string(2, "Y").string(3, "deform").string(4, "DeformConv")
                .message(5, ints("dilations", dilation, dilation))
                .message(5, intAttr("group", groups))
                .message(5, ints("kernel_shape", kh, kw))
                .message(5, intAttr("offset_group", offsetGroups))
                .message(5, ints("pads", pad, pad, pad, pad))
                .message(5, ints("strides", stride, stride));
        Proto graph = new Proto().message(1, node).string(2, "deform_conv")
                .message(11, valueInfo("X", n, c, h, w))
                .message(11, valueInfo("W", o, c / groups, kh, kw))
                .message(11, valueInfo("offset", n, 2 * offsetGroups * kh * kw, ho, wo));
        if (mask) graph.message(11, valueInfo("mask", n, offsetGroups * kh * kw, ho, wo));
        graph.message(12, valueInfo("Y", n, o, ho, wo));
        Proto opset = new Proto().string(1, "").varint(2, 19);
        return new Proto().varint(1, 9).string(2, "dcn4j-benchmarks").message(7, graph).message(8, opset).bytes();
    }

    private static Proto intAttr(String name, long value) {
        return new Proto().string(1, name).varint(20, 2).varint(3, value); // type INT = 2
    }

    private static Proto ints(String name, long... values) {
        Proto p = new Proto().string(1, name).varint(20, 7); // type INTS = 7
        for (long v : values) p.varint(8, v);
        return p;
    }

    private static Proto valueInfo(String name, long... dims) {
        Proto shape = new Proto();
        for (long d : dims) shape.message(1, new Proto().varint(1, d));
        Proto tensor = new Proto().varint(1, 1).message(2, shape); // elem_type FLOAT = 1
        return new Proto().string(1, name).message(2, new Proto().message(1, tensor));
    }

    /** Protobuf wire format: varint (type 0) and length-delimited (type 2) fields. */
    private static final class Proto {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Proto varint(int field, long value) {
            raw((long) field << 3);
            raw(value);
            return this;
        }

        Proto string(int field, String s) {
            return bytes(field, s.getBytes(StandardCharsets.UTF_8));
        }

        Proto message(int field, Proto m) {
            return bytes(field, m.bytes());
        }

        private Proto bytes(int field, byte[] b) {
            raw(((long) field << 3) | 2);
            raw(b.length);
            out.write(b, 0, b.length);
            return this;
        }

        private void raw(long v) {
            while ((v & ~0x7FL) != 0) {
                out.write((int) ((v & 0x7F) | 0x80));
                v >>>= 7;
            }
            out.write((int) v);
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }
}
