package org.tocomstream.job.cli;

import java.util.List;
import java.util.Optional;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.model.VitConfig;

/**
 * The compression-level options shared by the commands that run a model: {@code --tome R}, {@code
 * --evit K}, {@code --schedule r1,r2,..} and {@code --level TEXT}, at most one of them.
 */
public final class CompressionOptions {

    public static final String TOME = "--tome";
    public static final String EVIT = "--evit";
    public static final String SCHEDULE = "--schedule";
    public static final String LEVEL = "--level";

    private CompressionOptions() {}

    /** Declares the four options on {@code parser}. */
    public static OptionParser declare(OptionParser parser) {
        return parser.value(TOME, "R", "ToMe: merge R tokens in every block (0 = no compression)")
                .value(EVIT, "K", "EViT: keep the fraction K in (0, 1] of the tokens at blocks 3, 6, 9")
                .value(SCHEDULE, "r1,r2,..", "ToMe with r per block (missing blocks merge nothing)")
                .value(
                        LEVEL,
                        "TEXT",
                        "any level text: none, tome:R, tome-decreasing:R,\ntome:r1,r2,..,"
                                + " evit:K, evit:K@b1,b2,..,\nidle:K, idle:K@b1,b2,.., idle:k1,k2,..@b1,b2,..");
    }

    /** The level the options ask for; {@link CompressionLevel#none()} when none is given. */
    public static CompressionLevel level(ParsedArgs args) throws UsageException {
        args.atMostOne(TOME, EVIT, SCHEDULE, LEVEL);
        if (args.has(TOME)) {
            return CompressionLevel.tome(args.nonNegativeInt(TOME, 0));
        }
        if (args.has(EVIT)) {
            String v = args.string(EVIT, "");
            try {
                return CompressionLevel.evit(Double.parseDouble(v.trim()));
            } catch (IllegalArgumentException e) {
                throw args.error(EVIT, "expected a keep rate in (0, 1] but got '" + v + "'");
            }
        }
        if (args.has(SCHEDULE)) {
            List<String> items;
            try {
                items = args.list(SCHEDULE);
            } catch (UsageException e) {
                items = List.of("");
            }
            int[] rs = new int[items.size()];
            for (int i = 0; i < rs.length; i++) {
                try {
                    rs[i] = Integer.parseInt(items.get(i));
                } catch (NumberFormatException e) {
                    rs[i] = -1;
                }
                if (rs[i] < 0) {
                    throw args.error(
                            SCHEDULE,
                            "expected comma-separated non-negative integers but got '" + args.string(SCHEDULE, "")
                                    + "'");
                }
            }
            return CompressionLevel.tomeSchedule(rs);
        }
        if (args.has(LEVEL)) {
            return parseLevel(args, LEVEL, args.string(LEVEL, ""));
        }
        return CompressionLevel.none();
    }

    /**
     * One item of a level list: a bare integer is a ToMe r ({@code 8} = {@code tome:8}, {@code 0} =
     * {@code none}), anything else is level text.
     */
    public static CompressionLevel parseLevel(ParsedArgs args, String option, String text) throws UsageException {
        String t = text.trim();
        if (t.matches("-?\\d+")) {
            try {
                int r = Integer.parseInt(t);
                if (r >= 0) {
                    return CompressionLevel.tome(r);
                }
            } catch (NumberFormatException e) {
                // Too large for an int: fall through to the error below.
            }
            throw args.error(option, "expected a non-negative ToMe r but got '" + text + "'");
        }
        try {
            return CompressionLevel.parse(t);
        } catch (IllegalArgumentException e) {
            throw args.error(option, e.getMessage());
        }
    }

    /**
     * Fails unless {@code level}, given with {@code option}, fits the model {@code cfg} ({@link
     * CompressionLevel#misfit}): a DiffRate schedule made for another token count or depth.
     *
     * @throws UsageException naming the flag, the level and why
     */
    public static void requireFits(ParsedArgs args, String option, CompressionLevel level, VitConfig cfg)
            throws UsageException {
        Optional<String> why = level.misfit(cfg.geometry(), "the model " + cfg.name());
        if (why.isPresent()) {
            throw args.error(option, level + " " + why.get());
        }
    }
}
