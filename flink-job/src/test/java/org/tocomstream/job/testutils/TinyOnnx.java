package org.tocomstream.job.testutils;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes a tiny ONNX classifier by hand (the protobuf wire format of onnx.proto, a few fields), so
 * the ORT anchor can be tested without Python or an onnx library: {@code pixels} [batch, C, S, S]
 * → ReduceMean over H and W → MatMul with a fixed [C, classes] matrix → {@code logits} [batch,
 * classes]. Opset 13, dynamic batch axis.
 */
public final class TinyOnnx {

    private TinyOnnx() {}

    /** The model for 32 × 32 inputs. */
    public static Path meanPoolLinear(Path file, int channels, int classes) throws IOException {
        return meanPoolLinear(file, channels, classes, 32);
    }

    /** The model for {@code size} × {@code size} inputs. */
    public static Path meanPoolLinear(Path file, int channels, int classes, int size) throws IOException {
        ByteBuffer w = ByteBuffer.allocate(4 * channels * classes).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < channels * classes; i++) {
            w.putFloat((i % 7 - 3) / 10f);
        }
        byte[] weight = new Msg()
                .varint(1, channels)
                .varint(1, classes) // dims
                .varint(2, 1) // FLOAT
                .string(8, "w")
                .bytes(9, w.array()) // raw_data
                .build();
        byte[] reduce = new Msg()
                .string(1, "pixels")
                .string(2, "pooled")
                .string(3, "pool")
                .string(4, "ReduceMean")
                .message(
                        5, new Msg().string(1, "axes").varint(8, 2).varint(8, 3).varint(20, 7))
                .message(5, new Msg().string(1, "keepdims").varint(3, 0).varint(20, 2))
                .build();
        byte[] matmul = new Msg()
                .string(1, "pooled")
                .string(1, "w")
                .string(2, "logits")
                .string(3, "head")
                .string(4, "MatMul")
                .build();
        byte[] graph = new Msg()
                .bytes(1, reduce)
                .bytes(1, matmul)
                .string(2, "tiny")
                .bytes(5, weight)
                .bytes(11, valueInfo("pixels", -1, channels, size, size))
                .bytes(12, valueInfo("logits", -1, classes))
                .build();
        byte[] model = new Msg()
                .varint(1, 8) // ir_version
                .string(2, "tocom-stream test")
                .bytes(7, graph)
                .message(8, new Msg().string(1, "").varint(2, 13))
                .build();
        Files.write(file, model);
        return file;
    }

    /** A float tensor's name and shape; -1 is the dynamic dimension "batch". */
    private static byte[] valueInfo(String name, long... dims) {
        Msg shape = new Msg();
        for (long d : dims) {
            shape.message(1, d < 0 ? new Msg().string(2, "batch") : new Msg().varint(1, d));
        }
        Msg tensor = new Msg().varint(1, 1).message(2, shape);
        return new Msg()
                .string(1, name)
                .message(2, new Msg().message(1, tensor))
                .build();
    }

    /** A protobuf message under construction: varint and length-delimited fields only. */
    private static final class Msg {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Msg varint(int field, long value) {
            raw((long) field << 3);
            raw(value);
            return this;
        }

        Msg bytes(int field, byte[] value) {
            raw(((long) field << 3) | 2);
            raw(value.length);
            out.writeBytes(value);
            return this;
        }

        Msg string(int field, String value) {
            return bytes(field, value.getBytes(StandardCharsets.UTF_8));
        }

        Msg message(int field, Msg value) {
            return bytes(field, value.build());
        }

        byte[] build() {
            return out.toByteArray();
        }

        private void raw(long v) {
            while ((v & ~0x7FL) != 0) {
                out.write((int) ((v & 0x7F) | 0x80));
                v >>>= 7;
            }
            out.write((int) v);
        }
    }
}
