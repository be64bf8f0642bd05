package org.tocomstream.job.run;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.tocomstream.job.cli.Cli;
import org.tocomstream.job.cli.Command;
import org.tocomstream.job.cli.CommandFailedException;
import org.tocomstream.job.cli.JsonFiles;
import org.tocomstream.job.cli.OptionParser;
import org.tocomstream.job.cli.ParsedArgs;
import org.tocomstream.job.cli.UsageException;
import org.tocomstream.job.kafka.KafkaTopics;

/**
 * {@code audit}: checks that every record of the frames topic got exactly one answer from the job,
 * a label or a dead letter, by matching them with {@link FrameAudit}. Reads the frames topic up to
 * its end offsets at start, and the labels and dead letters read_committed until every frame has
 * an answer or the timeout passes, then a settle time more so that late duplicates show.
 */
public final class AuditCommand implements Command {

    static final String BOOTSTRAP = "--bootstrap";
    static final String FRAMES = "--frames-topic";
    static final String LABELS = "--labels-topic";
    static final String DEAD = "--dead-letter-topic";
    static final String TIMEOUT = "--timeout";
    static final String SETTLE = "--settle";
    static final String JSON = "--json";

    private static final int SHOWN_PROBLEMS = 20;

    private final OptionParser parser = new OptionParser("audit")
            .value(BOOTSTRAP, "HOST:PORT", "Kafka bootstrap servers (required)")
            .value(FRAMES, "NAME", "the frames topic the job read (required)")
            .value(LABELS, "NAME", "the labels topic the job wrote (required)")
            .value(DEAD, "NAME", "the dead-letter topic the job wrote (required)")
            .value(TIMEOUT, "S", "seconds to wait for every frame to have an answer (default 120)")
            .value(SETTLE, "S", "seconds to read on after that, for late duplicates (default 5)")
            .value(JSON, "FILE", "also write the counts, by kind and by reason, and the problems as JSON");

    @Override
    public String name() {
        return "audit";
    }

    @Override
    public String summary() {
        return "check that every frame got exactly one label or dead letter";
    }

    @Override
    public String help() {
        return "usage: audit --bootstrap HOST:PORT --frames-topic T --labels-topic L --dead-letter-topic D\n"
                + "             [--timeout S] [--settle S] [--json FILE]\n\n"
                + "Reads every record of the frames topic (up to its end offsets at start) and the\n"
                + "labels and dead letters (read_committed), and matches them: a label by (stream = the\n"
                + "frame's key, seq = its last frame-seq header), a dead letter by the position that\n"
                + "prefixes its error header (topic-partition@offset: reason) or by its original-topic,\n"
                + "-partition and -offset headers. Waits until every frame has an answer or the timeout\n"
                + "passes, then reads on for the settle time. Frames made by 'produce --hostile' are also\n"
                + "checked against their x-hostile-expect header and counted by x-hostile-kind.\n\n"
                + "Prints one line on stdout:\n"
                + "  audit: sent=N labelled=N dead-lettered=N lost=N duplicated=N unknown=N wrong=N ambiguous=N\n"
                + "labelled and dead-lettered count the records read; lost = frames without an answer,\n"
                + "duplicated = frames with more than one, unknown = answers matching no frame, wrong =\n"
                + "answers against x-hostile-expect, ambiguous = frames sharing their (stream, seq) with\n"
                + "another (their labels cannot be told apart). Details go to stderr.\n"
                + "Exit status 0 when lost, duplicated, unknown and wrong are all 0, else 1.\n\n"
                + "options:\n" + parser.optionsHelp();
    }

    /** The checked options. */
    private record Options(
            String bootstrap,
            String frames,
            String labels,
            String dead,
            Duration timeout,
            Duration settle,
            Optional<Path> json) {}

    @Override
    public int run(String[] argv, PrintStream out, PrintStream err) throws UsageException, CommandFailedException {
        ParsedArgs args = parser.parseOptions(argv, BOOTSTRAP, FRAMES, LABELS, DEAD);
        Options o = options(args);
        FrameAudit audit = new FrameAudit();
        try {
            readFrames(o, audit, err);
            readAnswers(o, audit, err);
        } catch (IllegalArgumentException | KafkaException e) {
            throw new CommandFailedException("Kafka at " + o.bootstrap() + ": " + Cli.describe(e), e);
        }
        FrameAudit.Report report = audit.report();
        details(report, err);
        if (o.json().isPresent()) {
            try {
                JsonFiles.write(o.json().get(), report);
            } catch (IOException e) {
                throw new CommandFailedException("cannot write " + o.json().get() + ": " + Cli.describe(e), e);
            }
        }
        out.println(report.summaryLine());
        return report.passed() ? Cli.OK : Cli.FAILED;
    }

    private static Options options(ParsedArgs args) throws UsageException {
        String bootstrap = args.string(BOOTSTRAP).orElseThrow();
        if (!KafkaTopics.isBootstrapServers(bootstrap)) {
            throw args.error(BOOTSTRAP, "expected HOST:PORT[,HOST:PORT...] but got '" + bootstrap + "'");
        }
        double timeout = args.number(TIMEOUT, 120, v -> v > 0, "a number of seconds > 0");
        double settle = args.number(SETTLE, 5, v -> v >= 0, "a number of seconds >= 0");
        return new Options(
                bootstrap,
                args.string(FRAMES).orElseThrow(),
                args.string(LABELS).orElseThrow(),
                args.string(DEAD).orElseThrow(),
                Duration.ofMillis((long) (timeout * 1000)),
                Duration.ofMillis((long) (settle * 1000)),
                args.path(JSON));
    }

    /** Reads the frames topic up to its end offsets now. */
    private static void readFrames(Options o, FrameAudit audit, PrintStream err) {
        long deadline = System.nanoTime() + o.timeout().toNanos();
        try (TopicReader frames = new TopicReader(o.bootstrap(), List.of(o.frames()), false, o.timeout())) {
            Map<TopicPartition, Long> end = frames.endOffsets();
            while (!frames.reached(end)) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalArgumentException(String.format(
                            "could not read topic '%s' to its end offsets %s within %s s",
                            o.frames(), end, o.timeout().toSeconds()));
                }
                frames.poll(Duration.ofMillis(500), audit::frame);
            }
        }
        err.printf(Locale.ROOT, "audit: %d frames in %s%n", audit.report().sent(), o.frames());
    }

    /** Reads labels and dead letters until all frames are answered or the timeout, then the settle time. */
    private static void readAnswers(Options o, FrameAudit audit, PrintStream err) {
        long start = System.nanoTime();
        long deadline = start + o.timeout().toNanos();
        long nextReport = start + 5_000_000_000L;
        try (TopicReader answers = new TopicReader(o.bootstrap(), List.of(o.labels(), o.dead()), true, o.timeout())) {
            while (!audit.allAnswered() && System.nanoTime() < deadline) {
                answers.poll(Duration.ofMillis(500), r -> add(o, audit, r));
                if (System.nanoTime() >= nextReport) {
                    FrameAudit.Report now = audit.report();
                    err.printf(
                            Locale.ROOT,
                            "audit: %d labels and %d dead letters so far; %d frames without an answer%n",
                            now.labelled(),
                            now.deadLettered(),
                            now.lost());
                    nextReport += 5_000_000_000L;
                }
            }
            if (!audit.allAnswered()) {
                err.printf(
                        Locale.ROOT,
                        "audit: not every frame answered after %s s%n",
                        o.timeout().toSeconds());
            }
            long settleEnd = System.nanoTime() + o.settle().toNanos();
            while (System.nanoTime() < settleEnd) {
                long left = Math.max(1, (settleEnd - System.nanoTime()) / 1_000_000);
                answers.poll(Duration.ofMillis(Math.min(500, left)), r -> add(o, audit, r));
            }
        }
    }

    private static void add(Options o, FrameAudit audit, ConsumerRecord<byte[], byte[]> r) {
        if (r.topic().equals(o.labels())) {
            audit.label(r);
        } else {
            audit.deadLetter(r);
        }
    }

    /** Counts by kind and reason, the ambiguity note and the first problems, on stderr. */
    private static void details(FrameAudit.Report report, PrintStream err) {
        if (!report.byKind().isEmpty()) {
            err.println("audit: by kind (labelled/dead/lost/duplicated/wrong):");
            report.byKind()
                    .forEach((kind, c) -> err.printf(
                            Locale.ROOT,
                            "  %-28s %d/%d/%d/%d/%d%n",
                            kind,
                            c.labelled(),
                            c.dead(),
                            c.lost(),
                            c.duplicated(),
                            c.wrong()));
        }
        if (!report.byReason().isEmpty()) {
            err.println("audit: dead letters by reason:");
            report.byReason().forEach((reason, n) -> err.printf(Locale.ROOT, "  %6d  %s%n", n, reason));
        }
        if (report.ambiguous() > 0) {
            err.printf(
                    Locale.ROOT,
                    "audit: %d frames share their (stream, seq) with another; their labels cannot be told apart,"
                            + " so lost and duplicated among them may be undercounted%n",
                    report.ambiguous());
        }
        List<String> problems = report.problems();
        for (String p : problems.subList(0, Math.min(SHOWN_PROBLEMS, problems.size()))) {
            err.println("audit: " + p);
        }
        if (problems.size() > SHOWN_PROBLEMS) {
            err.printf(Locale.ROOT, "audit: ... %d more problems (see --json)%n", problems.size() - SHOWN_PROBLEMS);
        }
    }
}
