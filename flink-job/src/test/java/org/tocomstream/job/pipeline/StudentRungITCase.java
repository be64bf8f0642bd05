package org.tocomstream.job.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.tocomstream.job.testutils.FrameRecords.frame;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.tocomstream.control.Shedding;
import org.tocomstream.data.SceneConfig;
import org.tocomstream.data.SceneGenerator;
import org.tocomstream.job.testutils.FrameRecords;
import org.tocomstream.job.testutils.KafkaBrokerExtension;
import org.tocomstream.job.testutils.MiniClusters;
import org.tocomstream.job.testutils.TestModels;
import org.tocomstream.model.ModelSpec;
import org.tocomstream.model.Safetensors;
import org.tocomstream.model.VitConfig;
import org.tocomstream.model.VitInit;
import org.tocomstream.stream.LabelRecord;

/**
 * A job whose ladder ends with the student ({@code vit.control.ladder = none;student}, {@code
 * vit.model.student}), in a MiniCluster against a real KRaft broker, started on a backlog far older
 * than its latency target: the controller steps down to the student, whose labels name it, and
 * every frame is labelled once, in order, by one model or the other.
 */
class StudentRungITCase {

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension(Map.of());

    @RegisterExtension
    static final MiniClusterExtension FLINK = MiniClusters.oneTaskManagerTwoSlots();

    private static final List<String> STREAMS = List.of("cam-0", "cam-1", "cam-2");
    private static final int PER_STREAM = 40;

    @Test
    void underOverloadTheLadderEndsAtTheStudentAndItsLabelsNameIt(@TempDir Path tmp) throws Exception {
        Path modelDir = TestModels.randomVitDemo(tmp.resolve("model"));
        ModelSpec model = ModelSpec.read(modelDir);
        Path studentDir = tmp.resolve("student");
        VitConfig tiny = VitConfig.preset("vit_demo_tiny");
        ModelSpec student = ModelSpec.of(tiny, model.labels()).withPreprocessing(model.preprocessing());
        student.write(studentDir);
        Safetensors.write(student.weightsPath(studentDir), VitInit.truncatedNormal(tiny, 2), Map.of());

        KAFKA.createTopic("st-frames", 1);
        KAFKA.createTopic("st-labels", 1);
        KAFKA.createTopic("st-dlq", 1);
        SceneGenerator scenes = SceneGenerator.of(SceneConfig.defaults(), 5);
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (int seq = 0; seq < PER_STREAM; seq++) {
            for (String s : STREAMS) {
                records.add(
                        frame("st-frames", s, seq, scenes.camera(s).frame(seq).jpeg(0.9f)));
            }
        }
        // Produced before the job starts: by the time it reads them they are seconds old, far
        // past the 100 ms target, so the controller is overloaded from the first batch.
        KAFKA.produce(records);

        Configuration conf = new Configuration();
        conf.set(StreamJobOptions.BOOTSTRAP_SERVERS, KAFKA.bootstrapServers());
        conf.set(StreamJobOptions.FRAMES_TOPIC, "st-frames");
        conf.set(StreamJobOptions.LABELS_TOPIC, "st-labels");
        conf.set(StreamJobOptions.DEAD_LETTER_TOPIC, "st-dlq");
        conf.set(StreamJobOptions.GROUP_ID, "st");
        conf.set(StreamJobOptions.BOUNDED, true);
        conf.set(StreamJobOptions.PARALLELISM, 1);
        conf.set(StreamJobOptions.MODEL_DIR, modelDir.toString());
        conf.set(StreamJobOptions.STUDENT, studentDir.toString());
        conf.set(StreamJobOptions.DEVICE, "cpu");
        conf.set(StreamJobOptions.MAX_BATCH, 4);
        conf.set(StreamJobOptions.MAX_DELAY, Duration.ofMillis(20));
        conf.set(ControlOptions.POLICY, ControlOptions.Policy.ADAPTIVE);
        conf.set(ControlOptions.LADDER, "none;student");
        conf.set(ControlOptions.LATENCY_TARGET, Duration.ofMillis(100));
        conf.set(ControlOptions.DEGRADE_DWELL, Duration.ofMillis(50));
        conf.set(ControlOptions.RESTORE_DWELL, Duration.ofMinutes(10));
        conf.set(ControlOptions.SHED_MODE, Shedding.Mode.OFF);
        assertThat(LevelFitCheck.problems(conf)).isEmpty();

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(new Configuration());
        StreamPipeline.of(conf, new VitLabelStage()).build(env);
        env.execute("student-rung");

        int total = STREAMS.size() * PER_STREAM;
        List<ConsumerRecord<byte[], byte[]>> out =
                KAFKA.read("st-labels", total, Duration.ofSeconds(60), Duration.ofMillis(500), false);
        FrameRecords.assertExactlyOnceInOrder(out, STREAMS, PER_STREAM);
        List<LabelRecord> labels =
                out.stream().map(r -> LabelRecord.fromJson(r.value())).toList();
        assertThat(labels).noneMatch(LabelRecord::skipped);
        List<LabelRecord> byStudent = labels.stream()
                .filter(l -> l.level().method().equals("student"))
                .toList();
        assertThat(byStudent).as("labels at the student rung").isNotEmpty();
        assertThat(byStudent).allSatisfy(l -> {
            assertThat(l.model()).startsWith("vit_demo_tiny@");
            assertThat(l.level().schedule()).isEqualTo("student");
            assertThat(l.level().compensator()).isNull();
            assertThat(l.labels()).extracting(LabelRecord.Label::label).isSubsetOf(model.labels());
        });
        assertThat(labels.stream().filter(l -> !l.level().method().equals("student")))
                .allSatisfy(l -> {
                    assertThat(l.model()).startsWith("vit_demo@");
                    assertThat(l.level().method()).isEqualTo("none");
                });
    }
}
