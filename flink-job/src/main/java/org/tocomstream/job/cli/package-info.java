/**
 * The command-line plumbing every command shares: {@link org.tocomstream.job.cli.Command} (one per
 * subcommand), {@link org.tocomstream.job.cli.OptionParser} and {@link
 * org.tocomstream.job.cli.ParsedArgs} (errors name the command and the option), exit statuses
 * ({@link org.tocomstream.job.cli.Cli}), and the option groups several commands declare alike:
 * {@code --device}, the compression level, and the image source ({@code --data} or {@code
 * --generator}). Nothing here knows a particular command.
 */
package org.tocomstream.job.cli;
