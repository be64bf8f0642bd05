package org.tocomstream.job;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.tocomstream.job.bench.BenchCommand;
import org.tocomstream.job.bench.PipelineBenchCommand;
import org.tocomstream.job.capacity.CapacitySimCommand;
import org.tocomstream.job.cli.Cli;
import org.tocomstream.job.cli.Command;
import org.tocomstream.job.cli.CommandFailedException;
import org.tocomstream.job.cli.ShutdownSignal;
import org.tocomstream.job.cli.UsageException;
import org.tocomstream.job.diffrate.DiffRateCommand;
import org.tocomstream.job.ladder.LadderCommand;
import org.tocomstream.job.loadtest.LoadTestCommand;
import org.tocomstream.job.run.AuditCommand;
import org.tocomstream.job.run.ProduceCommand;
import org.tocomstream.job.run.RunCommand;
import org.tocomstream.job.tocom.TocomCommand;
import org.tocomstream.job.train.EvaluateCommand;
import org.tocomstream.job.train.PredictCommand;
import org.tocomstream.job.train.TrainCommand;

/**
 * Command-line entry point of the tocom-stream job jar.
 *
 * <pre>
 * java -jar tocom-stream.jar                      (= run: in-process Kafka, synthetic cameras, demo model)
 * java -jar tocom-stream.jar run --bootstrap kafka:9092 --model DIR
 * java -jar tocom-stream.jar produce --bootstrap kafka:9092 --generator --streams 4 --fps 10
 * java -jar tocom-stream.jar predict --model DIR [--tome R] INPUT...
 * java -jar tocom-stream.jar bench --preset deit_small_patch16_224 --levels 0,8,16 --batch 1,8,32
 * java -jar tocom-stream.jar train --preset vit_test_tiny --generator --epochs 30 --out DIR
 * java -jar tocom-stream.jar evaluate --model DIR --generator --json accuracy.json
 * java -jar tocom-stream.jar tocom train --model DIR --generator --out tocom.safetensors
 * java -jar tocom-stream.jar tocom eval --model DIR --plugin tocom.safetensors --generator --grid 0,4,8
 * </pre>
 *
 * <p>Exit status: 0 success; 2 bad usage (one line on stderr naming the option); 1 the command
 * failed or some inputs failed (a clear message; the stack trace only with {@code --verbose}).
 *
 * <p>Before any command runs, {@code ai.djl.offline} defaults to {@code true} (unless set by the
 * user) so DJL never tries to download anything: the PyTorch natives come from the classpath.
 */
public final class Main {

    /** How long Ctrl-C waits for a command that stops at a safe point (a training step, an epoch's checkpoint). */
    private static final long STOP_GRACE_SECONDS = 600;

    private Main() {}

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs one command line and returns its exit status; never calls {@link System#exit}. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        Map<String, Command> commands = commands();
        boolean verbose = Arrays.asList(args).contains(Cli.VERBOSE);
        String[] rest = args;
        // A leading --verbose may come before the command name.
        while (rest.length > 0 && rest[0].equals(Cli.VERBOSE)) {
            rest = Arrays.copyOfRange(rest, 1, rest.length);
        }
        if (rest.length == 0) {
            // No command: the local demo (in-process Kafka, synthetic cameras, demo model).
            rest = new String[] {"run"};
        }
        String name = rest[0];
        if (name.equals("--help") || name.equals("-h") || name.equals("help")) {
            out.print(usage(commands));
            return Cli.OK;
        }
        if (name.startsWith("--")) {
            // Options without a command are run's: java -jar tocom-stream.jar --bootstrap kafka:9092
            String[] withRun = new String[rest.length + 1];
            withRun[0] = "run";
            System.arraycopy(rest, 0, withRun, 1, rest.length);
            rest = withRun;
            name = "run";
        }
        Command command = commands.get(name);
        if (command == null) {
            err.printf(
                    "unknown command '%s'; expected one of %s (see --help)%n",
                    name, String.join(", ", commands.keySet()));
            return Cli.USAGE;
        }
        String[] commandArgs = Arrays.copyOfRange(rest, 1, rest.length);
        if (Arrays.asList(commandArgs).contains("--help")
                || Arrays.asList(commandArgs).contains("-h")) {
            out.print(command.help());
            return Cli.OK;
        }
        AtomicBoolean stop = new AtomicBoolean();
        String stopping = name + ": stopping at the next safe point (kill -9 aborts at once)";
        ShutdownSignal signal = command.stopsOnSignal()
                ? ShutdownSignal.install(
                        () -> {
                            stop.set(true);
                            err.println(stopping);
                        },
                        STOP_GRACE_SECONDS)
                : null;
        try {
            return command.run(commandArgs, out, err, stop::get);
        } catch (UsageException e) {
            err.println(e.getMessage());
            return Cli.USAGE;
        } catch (CommandFailedException e) {
            err.println(name + ": error: " + e.getMessage());
            if (verbose && e.getCause() != null) {
                e.getCause().printStackTrace(err);
            }
            return Cli.FAILED;
        } catch (RuntimeException | Error e) {
            err.println(name + ": error: " + Cli.describe(e));
            if (verbose) {
                e.printStackTrace(err);
            } else {
                err.println("(run with --verbose for the stack trace)");
            }
            return Cli.FAILED;
        } finally {
            if (signal != null) {
                signal.close();
            }
        }
    }

    private static Map<String, Command> commands() {
        Map<String, Command> commands = new LinkedHashMap<>();
        for (Command c : new Command[] {
            new PredictCommand(),
            new BenchCommand(),
            new TrainCommand(),
            new EvaluateCommand(),
            new LadderCommand(),
            new TocomCommand(),
            new DiffRateCommand(),
            new RunCommand(),
            new ProduceCommand(),
            new AuditCommand(),
            new PipelineBenchCommand(),
            new LoadTestCommand(),
            new CapacitySimCommand()
        }) {
            commands.put(c.name(), c);
        }
        return commands;
    }

    private static String usage(Map<String, Command> commands) {
        StringBuilder sb = new StringBuilder();
        sb.append("usage: java -jar tocom-stream.jar [--verbose] [COMMAND [OPTIONS]]\n\n");
        sb.append("Without a command: 'run' (the local demo: in-process Kafka, synthetic cameras,\n");
        sb.append("demo model, one status line a second; Ctrl-C stops); options without a command\n");
        sb.append("are run's, e.g. --bootstrap HOST:PORT for an external Kafka.\n\n");
        sb.append("commands:\n");
        for (Command c : commands.values()) {
            sb.append(String.format("  %-9s %s%n", c.name(), c.summary()));
        }
        sb.append("\n'COMMAND --help' describes a command. Exit status: 0 ok, 1 failure, 2 bad usage.\n");
        return sb.toString();
    }
}
