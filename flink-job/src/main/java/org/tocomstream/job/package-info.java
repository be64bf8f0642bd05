/**
 * The job jar's command line: {@link org.tocomstream.job.Main} dispatches to one {@code Command}
 * per subcommand.
 *
 * <ul>
 *   <li>{@code predict}: top-K labels for images, image directories and pre-normalised {@code
 *       .npy} batches at a chosen compression level; {@code --logits-out} writes the logits.
 * </ul>
 *
 * <p>Arguments are parsed by a small hand-written parser ({@code OptionParser}, {@code
 * ParsedArgs}) whose errors name the command and the option. Exit status: 0 ok, 1 failure (one
 * line, stack trace with {@code --verbose}), 2 bad usage (one line). Later issues add {@code run},
 * {@code produce}, {@code train}, {@code tocom} and {@code loadtest}.
 */
package org.tocomstream.job;
