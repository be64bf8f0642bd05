package org.tocomstream.job.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The options one command accepts, and the parser that turns its arguments into {@link
 * ParsedArgs}. Hand-written on purpose: the grammar is small and the error lines must name the
 * command and the option.
 *
 * <p>Grammar: {@code --name value}, {@code --name=value}, {@code --flag}; anything not starting
 * with {@code --} is positional (so negative numbers such as {@code --tome -1} are values, and are
 * then rejected by the typed getter); {@code --} ends the options; {@code -h} is {@code --help}.
 * An option may be given once.
 *
 * <pre>{@code
 * OptionParser parser = new OptionParser("predict")
 *         .value("--tome", "R", "ToMe: merge R tokens in every block")
 *         .flag("--verbose", "print stack traces");
 * ParsedArgs args = parser.parse(argv); // throws UsageException naming the option
 * int r = args.nonNegativeInt("--tome", 0);
 * }</pre>
 */
public final class OptionParser {

    private record Option(String name, String metavar, String help) {
        boolean takesValue() {
            return metavar != null;
        }
    }

    private final String command;
    private final Map<String, Option> options = new LinkedHashMap<>();

    public OptionParser(String command) {
        this.command = command;
    }

    public String command() {
        return command;
    }

    /** Declares an option that takes a value, shown as {@code name metavar} in the help. */
    public OptionParser value(String name, String metavar, String help) {
        return add(new Option(name, metavar, help));
    }

    /** Declares {@code --verbose} and {@code --help}, which every command accepts. */
    public OptionParser commonFlags() {
        return flag(Cli.VERBOSE, "stack traces on failure").flag("--help", "this text");
    }

    /** Declares {@code --device} and then {@link #commonFlags()}: the end of a model-running command's options. */
    public OptionParser deviceAndCommonFlags() {
        return value(DeviceOption.NAME, "DEV", "cpu (default), gpu, gpuN").commonFlags();
    }

    /** Declares an option without a value. */
    public OptionParser flag(String name, String help) {
        return add(new Option(name, null, help));
    }

    private OptionParser add(Option option) {
        if (!option.name().startsWith("--") || options.containsKey(option.name())) {
            throw new IllegalArgumentException("bad or duplicate option " + option.name());
        }
        options.put(option.name(), option);
        return this;
    }

    /**
     * Parses the arguments of a command that takes options only: any positional argument is an
     * error, then so is each option of {@code required} that was not given (named with its
     * metavar, in the order listed). The one place the commands' shared prologue lives.
     */
    public ParsedArgs parseOptions(String[] argv, String... required) throws UsageException {
        ParsedArgs args = parse(argv);
        if (!args.positionals().isEmpty()) {
            throw args.error("unexpected argument '" + args.positionals().get(0) + "'");
        }
        for (String option : required) {
            Option declared = options.get(option);
            if (declared == null || !declared.takesValue()) {
                throw new IllegalArgumentException(option + " is not a declared option with a value");
            }
            args.required(option, declared.metavar());
        }
        return args;
    }

    /**
     * Parses {@code args}.
     *
     * @throws UsageException for an unknown option, a missing value, a value given to a flag, or
     *     an option given twice
     */
    public ParsedArgs parse(String[] args) throws UsageException {
        Map<String, String> values = new LinkedHashMap<>();
        List<String> positionals = new ArrayList<>();
        boolean optionsEnded = false;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (optionsEnded || !arg.startsWith("-") || arg.equals("-") || isNegativeNumber(arg)) {
                positionals.add(arg);
                continue;
            }
            if (arg.equals("--")) {
                optionsEnded = true;
                continue;
            }
            if (arg.equals("-h")) {
                arg = "--help";
            }
            String name = arg;
            String inline = null;
            int eq = arg.indexOf('=');
            if (eq > 0) {
                name = arg.substring(0, eq);
                inline = arg.substring(eq + 1);
            }
            Option option = options.get(name);
            if (option == null) {
                throw UsageException.of(command, null, unknownOption(name));
            }
            if (values.containsKey(name)) {
                throw UsageException.of(command, name, "given more than once");
            }
            String value;
            if (!option.takesValue()) {
                if (inline != null) {
                    throw UsageException.of(command, name, "takes no value but got '" + inline + "'");
                }
                value = "";
            } else if (inline != null) {
                value = inline;
            } else if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
                value = args[++i];
            } else {
                throw UsageException.of(command, name, "missing value (expected " + option.metavar() + ")");
            }
            values.put(name, value);
        }
        return new ParsedArgs(command, values, positionals);
    }

    /** The option list for help texts, one option per line, aligned. */
    public String optionsHelp() {
        int width = 0;
        for (Option o : options.values()) {
            width = Math.max(width, label(o).length());
        }
        StringBuilder sb = new StringBuilder();
        for (Option o : options.values()) {
            String label = label(o);
            sb.append("  ").append(label).append(" ".repeat(width - label.length() + 2));
            sb.append(o.help().replace("\n", "\n" + " ".repeat(width + 4))).append('\n');
        }
        return sb.toString();
    }

    private static String label(Option o) {
        return o.takesValue() ? o.name() + " " + o.metavar() : o.name();
    }

    private String unknownOption(String name) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String known : options.keySet()) {
            int d = editDistance(name.toLowerCase(Locale.ROOT), known);
            if (d < bestDistance) {
                bestDistance = d;
                best = known;
            }
        }
        String hint = best != null && bestDistance <= 2 ? " (did you mean " + best + "?)" : "";
        return "unknown option '" + name + "'" + hint;
    }

    private static boolean isNegativeNumber(String arg) {
        if (arg.length() < 2 || arg.charAt(0) != '-' || arg.charAt(1) == '-') {
            return false;
        }
        try {
            Double.parseDouble(arg);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
