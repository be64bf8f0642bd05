package org.tocomstream.job.testutils;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.tocomstream.job.pipeline.StreamPipeline;
import org.tocomstream.stream.DeadLetter;
import org.tocomstream.stream.FrameRecord;
import org.tocomstream.stream.LabelRecord;
import org.tocomstream.stream.WireFormat;

/**
 * A label stage without a model, for testing the Kafka frame of the job: a frame with a value and a
 * decimal {@code frame-seq} header becomes a label {@code "len=<value length>"}; anything else
 * becomes a dead letter naming the problem.
 */
public final class TestingLabelStage implements StreamPipeline.LabelStage {

    private static final long serialVersionUID = 1L;

    static final OutputTag<DeadLetter> DEAD = new OutputTag<>("dead-letters") {};

    @Override
    public StreamPipeline.Outputs apply(DataStream<FrameRecord> frames, ReadableConfig conf) {
        SingleOutputStreamOperator<LabelRecord> labels =
                frames.process(new Label()).name("testing-label");
        return new StreamPipeline.Outputs(labels, labels.getSideOutput(DEAD));
    }

    private static final class Label extends ProcessFunction<FrameRecord, LabelRecord> {
        private static final long serialVersionUID = 1L;

        @Override
        public void processElement(FrameRecord f, Context ctx, Collector<LabelRecord> out) {
            byte[] seq = f.header(WireFormat.FRAME_SEQ);
            if (f.value() == null || f.value().length == 0) {
                ctx.output(DEAD, new DeadLetter(f, "empty value"));
            } else if (seq == null) {
                ctx.output(DEAD, new DeadLetter(f, "missing header " + WireFormat.FRAME_SEQ));
            } else {
                out.collect(new LabelRecord(
                        f.keyString(),
                        Long.parseLong(new String(seq, StandardCharsets.US_ASCII)),
                        f.timestamp(),
                        List.of(new LabelRecord.Label("len=" + f.value().length, 1.0)),
                        new LabelRecord.Level("none", "none", null),
                        "testing",
                        1,
                        0.0,
                        System.currentTimeMillis() - f.timestamp()));
            }
        }
    }
}
