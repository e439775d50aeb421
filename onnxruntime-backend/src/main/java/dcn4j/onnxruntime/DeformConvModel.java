package dcn4j.onnxruntime;

import dcn4j.DeformConv2dSpec;
import dcn4j.spi.DeformConv2dShape;

/**
 * A one-node ONNX model, opset 19, whose node is {@code DeformConv} with the attributes of one
 * {@link DeformConv2dSpec} and fixed input shapes: the ONNX operator has the layouts of torchvision
 * and of dcn4j (DESIGN.md "Semantics"), so the arguments pass through unchanged. Inputs {@code X},
 * {@code W}, {@code offset}, then {@code B} and {@code mask} when present (an absent optional input
 * in the middle is the empty name, ONNX IR "optional inputs"); output {@code Y}.
 *
 * <p>Field numbers are those of {@code onnx.proto} (ModelProto, GraphProto, NodeProto,
 * AttributeProto, ValueInfoProto, TypeProto, TensorShapeProto). Public so that tools outside the backend
 * (the side-by-side benchmark in {@code benchmarks/}) run exactly the model the backend runs.
 */
public final class DeformConvModel {

    /** ONNX IR version 9: the one that came with opset 19. */
    static final int IR_VERSION = 9;
    /** The first opset with {@code DeformConv}. */
    public static final int OPSET = 19;

    /** Input and output names of the model. */
    public static final String X = "X", W = "W", OFFSET = "offset", B = "B", MASK = "mask", Y = "Y";

    // onnx.proto field numbers.
    private static final int MODEL_IR_VERSION = 1, MODEL_PRODUCER_NAME = 2, MODEL_GRAPH = 7, MODEL_OPSET_IMPORT = 8;
    private static final int OPSET_DOMAIN = 1, OPSET_VERSION = 2;
    private static final int GRAPH_NODE = 1, GRAPH_NAME = 2, GRAPH_INPUT = 11, GRAPH_OUTPUT = 12;
    private static final int NODE_INPUT = 1, NODE_OUTPUT = 2, NODE_NAME = 3, NODE_OP_TYPE = 4, NODE_ATTRIBUTE = 5;
    private static final int ATTR_NAME = 1, ATTR_I = 3, ATTR_INTS = 8, ATTR_TYPE = 20;
    private static final int ATTR_TYPE_INT = 2, ATTR_TYPE_INTS = 7;
    private static final int VALUE_NAME = 1, VALUE_TYPE = 2;
    private static final int TYPE_TENSOR = 1, TENSOR_ELEM_TYPE = 1, TENSOR_SHAPE = 2;
    private static final int SHAPE_DIM = 1, DIM_VALUE = 1;
    private static final int FLOAT = 1;

    private DeformConvModel() {
    }

    /**
     * The serialized model for a call of shape {@code s} (with a mask and a bias when {@code s} has them).
     *
     * @param s the call's shape and spec
     * @return the model as protobuf bytes, for {@code OrtEnvironment.createSession(byte[], ...)}
     */
    public static byte[] of(DeformConv2dShape s) {
        DeformConv2dSpec spec = s.spec();
        Protobuf node = new Protobuf().string(NODE_INPUT, X).string(NODE_INPUT, W).string(NODE_INPUT, OFFSET);
        if (s.hasBias() || s.hasMask()) node.string(NODE_INPUT, s.hasBias() ? B : "");
        if (s.hasMask()) node.string(NODE_INPUT, MASK);
        node.string(NODE_OUTPUT, Y).string(NODE_NAME, "deform_conv").string(NODE_OP_TYPE, "DeformConv")
                .message(NODE_ATTRIBUTE, ints("dilations", spec.dilationH(), spec.dilationW()))
                .message(NODE_ATTRIBUTE, integer("group", spec.groups()))
                .message(NODE_ATTRIBUTE, ints("kernel_shape", s.kernelHeight(), s.kernelWidth()))
                .message(NODE_ATTRIBUTE, integer("offset_group", spec.offsetGroups()))
                // ONNX pads: begin of each axis, then end of each axis.
                .message(NODE_ATTRIBUTE, ints("pads", spec.padTop(), spec.padLeft(), spec.padBottom(), spec.padRight()))
                .message(NODE_ATTRIBUTE, ints("strides", spec.strideH(), spec.strideW()));
        Protobuf graph = new Protobuf().message(GRAPH_NODE, node).string(GRAPH_NAME, "dcn4j_deform_conv2d")
                .message(GRAPH_INPUT, value(X, s.inputShape()))
                .message(GRAPH_INPUT, value(W, s.weightShape()))
                .message(GRAPH_INPUT, value(OFFSET, s.offsetShape()));
        if (s.hasBias()) graph.message(GRAPH_INPUT, value(B, new int[] {s.outChannels()}));
        if (s.hasMask()) graph.message(GRAPH_INPUT, value(MASK, s.maskShape()));
        graph.message(GRAPH_OUTPUT, value(Y, s.outputShape()));
        return new Protobuf().varint(MODEL_IR_VERSION, IR_VERSION).string(MODEL_PRODUCER_NAME, "dcn4j")
                .message(MODEL_GRAPH, graph)
                .message(MODEL_OPSET_IMPORT, new Protobuf().string(OPSET_DOMAIN, "").varint(OPSET_VERSION, OPSET))
                .toByteArray();
    }

    private static Protobuf integer(String name, long value) {
        return new Protobuf().string(ATTR_NAME, name).varint(ATTR_I, value).varint(ATTR_TYPE, ATTR_TYPE_INT);
    }

    private static Protobuf ints(String name, long... values) {
        Protobuf a = new Protobuf().string(ATTR_NAME, name);
        for (long v : values) a.varint(ATTR_INTS, v);
        return a.varint(ATTR_TYPE, ATTR_TYPE_INTS);
    }

    /** A float tensor input or output of fixed shape. */
    private static Protobuf value(String name, int[] shape) {
        Protobuf dims = new Protobuf();
        for (int d : shape) dims.message(SHAPE_DIM, new Protobuf().varint(DIM_VALUE, d));
        Protobuf tensor = new Protobuf().varint(TENSOR_ELEM_TYPE, FLOAT).message(TENSOR_SHAPE, dims);
        return new Protobuf().string(VALUE_NAME, name).message(VALUE_TYPE, new Protobuf().message(TYPE_TENSOR, tensor));
    }
}
