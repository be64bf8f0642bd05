package org.tocomstream.job.tocom;

import java.io.PrintStream;
import java.util.Arrays;
import org.tocomstream.job.cli.Command;
import org.tocomstream.job.cli.CommandFailedException;
import org.tocomstream.job.cli.UsageException;

/**
 * {@code tocom}: the Token Compensator commands. {@code tocom train} trains a plugin for a model
 * by self-distillation on unlabelled images ({@link TocomTrainRun}); {@code tocom eval} measures
 * a plugin over a grid of (m, n) pairs ({@link TocomEvalRun}); {@code tocom calibrate} fits it to a
 * model fine-tuned from its base ({@link TocomCalibrateRun}); {@code tocom proof} applies one plugin
 * to models fine-tuned at several degrees m ({@link TocomProofRun}).
 */
public final class TocomCommand implements Command {

    @Override
    public String name() {
        return "tocom";
    }

    @Override
    public String summary() {
        return "Token Compensator: train a plugin for a model (train), measure it (eval),"
                + " fit it to a fine-tuned model (calibrate)";
    }

    @Override
    public String help() {
        return "usage: tocom train --model DIR (--images DIR | --generator | --topic T --bootstrap H:P) --out FILE [OPTIONS]\n"
                + "       tocom eval --model DIR --plugin FILE (--data DIR | --generator) [OPTIONS]\n"
                + "       tocom calibrate --model DIR --plugin FILE [--rule sqrt-kl-ratio --base DIR] (--images DIR | --generator | --topic T --bootstrap H:P) [OPTIONS]\n"
                + "       tocom proof --plugin FILE --models DIR,DIR,... --generator [OPTIONS]\n\n"
                + "A Token Compensator (ToCom) is a low-rank delta on the query and value\n"
                + "projections of every block that makes the model at ToMe degree n behave like the\n"
                + "model at degree m. The stream applies Δ(m→n) per batch, m being the model's\n"
                + "trainedCompression and n the batch's level. See src/docs/compensator.md.\n\n"
                + TocomTrainRun.HELP
                + "\n"
                + TocomEvalRun.HELP
                + "\n"
                + TocomCalibrateRun.HELP
                + "\n"
                + TocomProofSettings.HELP;
    }

    @Override
    public int run(String[] args, PrintStream out, PrintStream err) throws UsageException, CommandFailedException {
        if (args.length == 0) {
            throw UsageException.of("tocom", null, "missing subcommand; expected train, eval, calibrate or proof");
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        switch (args[0]) {
            case "train":
                return new TocomTrainRun(TocomTrainRun.settings(rest), err).execute(out);
            case "eval":
                return new TocomEvalRun(TocomEvalRun.settings(rest), err).execute(out);
            case "calibrate":
                return new TocomCalibrateRun(TocomCalibrateRun.settings(rest), err).execute(out);
            case "proof":
                return new TocomProofRun(TocomProofSettings.parse(rest), err).execute(out);
            default:
                throw UsageException.of(
                        "tocom",
                        null,
                        "unknown subcommand '" + args[0] + "'; expected train, eval, calibrate or proof");
        }
    }
}
