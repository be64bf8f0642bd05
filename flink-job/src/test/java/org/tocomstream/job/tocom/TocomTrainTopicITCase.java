package org.tocomstream.job.tocom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.tocomstream.job.testutils.CommandLines.run;
import static org.tocomstream.job.testutils.FrameRecords.frame;
import static org.tocomstream.job.testutils.FrameRecords.utf8;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.tocomstream.compensate.TokenCompensator;
import org.tocomstream.data.SceneConfig;
import org.tocomstream.data.SceneGenerator;
import org.tocomstream.job.testutils.CommandLines.Result;
import org.tocomstream.job.testutils.KafkaBrokerExtension;

/** {@code tocom train --topic T --bootstrap H:P}: a plugin trained on frames read from a real broker. */
class TocomTrainTopicITCase {

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @Test
    void trainsOnFramesOfATopicSkippingThoseTheJobWouldDeadLetter(@TempDir Path tmp) throws Exception {
        Path model = TocomCommandTest.modelDir(tmp.resolve("model"), 1);
        KAFKA.createTopic("tt-frames", 2);
        SceneGenerator scenes = SceneGenerator.of(SceneConfig.defaults().withSize(32, 32), 3);
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (int seq = 0; seq < 20; seq++) {
            for (String cam : List.of("cam-0", "cam-1")) {
                records.add(frame(
                        "tt-frames", cam, seq, scenes.camera(cam).frame(seq).jpeg(0.9f)));
            }
        }
        records.add(3, frame("tt-frames", "cam-0", 99, utf8("not an image")));
        KAFKA.produce(records);
        Path plugin = tmp.resolve("plugins/tocom.safetensors");

        Result r = run(
                "tocom",
                "train",
                "--model",
                model.toString(),
                "--topic",
                "tt-frames",
                "--bootstrap",
                KAFKA.bootstrapServers(),
                "--train-size",
                "32",
                "--batch",
                "16",
                "--epochs",
                "1",
                "--max-degree",
                "3",
                "--scale",
                "0.5",
                "--out",
                plugin.toString());

        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.err())
                .contains("read 32 frames from topic tt-frames")
                .contains("32 images, 1 epochs x 2 steps of 16");
        assertThat(r.out()).startsWith("trained " + plugin + ": step 2/2 in ");
        assertThat(TokenCompensator.loadFor(plugin, model).config().maxDegree()).isEqualTo(3);
    }

    @Test
    void allFramesOfASmallTopicAreReadAndBadOnesAreCounted(@TempDir Path tmp) throws Exception {
        Path model = TocomCommandTest.modelDir(tmp.resolve("model"), 1);
        KAFKA.createTopic("tt-small", 1);
        SceneGenerator scenes = SceneGenerator.of(SceneConfig.defaults().withSize(32, 32), 4);
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (int seq = 0; seq < 16; seq++) {
            records.add(frame(
                    "tt-small", "cam-0", seq, scenes.camera("cam-0").frame(seq).jpeg(0.9f)));
        }
        records.add(frame("tt-small", "cam-0", 16, new byte[0]));
        KAFKA.produce(records);

        Result r = run(
                "tocom",
                "train",
                "--model",
                model.toString(),
                "--topic",
                "tt-small",
                "--bootstrap",
                KAFKA.bootstrapServers(),
                "--batch",
                "16",
                "--epochs",
                "1",
                "--max-degree",
                "3",
                "--out",
                tmp.resolve("p.safetensors").toString());

        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.err())
                .contains("read 16 frames from topic tt-small (1 skipped as the job would dead-letter them,"
                        + " first: tt-small-0@16: empty value (no image))");
    }
}
