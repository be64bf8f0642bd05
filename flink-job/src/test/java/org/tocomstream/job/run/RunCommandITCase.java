package org.tocomstream.job.run;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.tocomstream.job.Main;

/**
 * The local run end to end, as {@code java -jar tocom-stream.jar} does it without arguments
 * ({@code Main} maps no arguments to {@code run}): in-process KRaft broker, topics, synthetic
 * cameras, the job in a local MiniCluster with the demo model, status lines, clean stop.
 */
class RunCommandITCase {

    private static final Pattern STATUS = Pattern.compile(
            "\\[ *(\\d+) s\\] in +([\\d.]+) frames/s \\| out +([\\d.]+) labels/s \\| (age p50 \\d+ ms p99 \\d+ ms|age -)"
                    + " \\| level (\\S+) \\| dead letters (\\d+)");

    @Test
    void localDemoLabelsFramesWithinAMinuteAndStopsCleanly() {
        ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
        ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
        int status;
        try (PrintStream out = new PrintStream(outBytes, true, StandardCharsets.UTF_8);
                PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8)) {
            status = Main.run(new String[] {"run", "--streams", "2", "--fps", "5", "--run-for", "25s"}, out, err);
        }
        String out = outBytes.toString(StandardCharsets.UTF_8);
        String err = errBytes.toString(StandardCharsets.UTF_8);

        assertThat(status).as(out + err).isZero();
        assertThat(out)
                .contains(
                        "Kafka at 127.0.0.1:",
                        "created topics frames, labels, frames-dead-letter",
                        "effective configuration:",
                        "kafka.topic.frames",
                        "demo.streams",
                        "synthetic cameras: 2 stream(s)");
        assertThat(out)
                .as("the bundled demo model comes with its Token Compensator, which the run applies")
                .contains(
                        "with its Token Compensator",
                        "vit.model.compensator",
                        "compensator: ",
                        "tocom.safetensors (base vit_demo sha256 ",
                        "as the pair 0->n");
        Matcher first = Pattern.compile("first label ([\\d.]+) s after start").matcher(out);
        assertThat(first.find()).as(out).isTrue();
        assertThat(Double.parseDouble(first.group(1))).isLessThan(60);

        List<Matcher> lines =
                out.lines().map(STATUS::matcher).filter(Matcher::find).collect(Collectors.toList());
        assertThat(lines).as(out).hasSizeGreaterThanOrEqualTo(10);
        double labelled =
                lines.stream().mapToDouble(m -> Double.parseDouble(m.group(3))).sum();
        assertThat(labelled).as("labels/s summed over the status lines").isGreaterThan(20);
        assertThat(lines).allSatisfy(m -> assertThat(m.group(6)).isEqualTo("0"));
        assertThat(out).containsPattern("sample cam-[01] #\\d+: \\S+ [\\d.]+");
        assertThat(out).containsPattern("stopped after [\\d.]+ s: \\d+ frames in, \\d+ labels out, 0 dead letters");
        Matcher last = Pattern.compile("stopped after [\\d.]+ s: (\\d+) frames in, (\\d+) labels out")
                .matcher(out);
        assertThat(last.find()).as(out).isTrue();
        assertThat(Long.parseLong(last.group(1)))
                .as("every frame the run wrote counts, from before the first status line on")
                .isGreaterThanOrEqualTo(Long.parseLong(last.group(2)));
    }

    @Test
    void stopSignalEndsTheRun() throws Exception {
        CountDownLatch stop = new CountDownLatch(1);
        ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
        Thread stopper = new Thread(() -> {
            while (!outBytes.toString(StandardCharsets.UTF_8).contains("first label")) {
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
            }
            stop.countDown();
        });
        stopper.start();
        int status;
        try (PrintStream out = new PrintStream(outBytes, true, StandardCharsets.UTF_8);
                PrintStream err = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)) {
            status = new RunCommand(stop)
                    .run(new String[] {"--streams", "1", "--fps", "5", "--run-for", "90s"}, out, err);
        }
        stopper.join(5_000);
        assertThat(status).isZero();
        assertThat(outBytes.toString(StandardCharsets.UTF_8)).contains("stopped after");
    }
}
