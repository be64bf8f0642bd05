package org.tocomstream.job.loadtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.tocomstream.job.testutils.CommandLines.assertUsageError;
import static org.tocomstream.job.testutils.CommandLines.run;

import org.junit.jupiter.api.Test;
import org.tocomstream.job.cli.Cli;
import org.tocomstream.job.testutils.CommandLines.Result;

/** {@code loadtest --video} and unnamed ladder texts: usage errors, found before anything starts ({@link LoadTestVideoITCase} runs it). */
class LoadTestVideoTest {

    private static final String CLIP = "src/test/resources/video/mpeg4-xvid.avi";

    @Test
    void badFlagsAreNamed() {
        assertUsageError(
                run("loadtest", "--video", "/no/such/clip.avi"),
                "loadtest: --video: cannot decode video /no/such/clip.avi: no such file");
        assertUsageError(
                run("loadtest", "--video", CLIP, "--scene", "static"),
                "loadtest: --scene: is for the synthetic cameras; --video cameras show the video");
        assertUsageError(
                run("loadtest", "--video", CLIP, "--noise", "20"),
                "loadtest: --noise: is for the synthetic cameras; --video cameras show the video");
        assertUsageError(
                run("loadtest", "--video", "src/test/resources/video/unknown-codec.avi"),
                "loadtest: --video: cannot decode video src/test/resources/video/unknown-codec.avi: codec 'none"
                        + " (ZZZZ)': this FFmpeg build has no decoder for it");
        // An unnamed ladder text after a comma: the entry and its bad level are named.
        Result bad = run("loadtest", "--ladders", "derived,none;reuse:2.5");
        assertThat(bad.status()).isEqualTo(Cli.USAGE);
        assertThat(bad.err())
                .startsWith("loadtest: --ladders: 'none;reuse:2.5': ")
                .contains("invalid compression level 'reuse:2.5'");
    }

    @Test
    void commasSeparateEntriesUnlessADigitContinuesALevelsList() {
        assertThat(LoadTestLadders.entries("derived,measured")).containsExactly("derived", "measured");
        assertThat(LoadTestLadders.entries("derived,none;tome:8,8,4;reuse:0.25,none;reuse:0.1"))
                .containsExactly("derived", "none;tome:8,8,4;reuse:0.25", "none;reuse:0.1");
        assertThat(LoadTestLadders.entries("derived|fast=none;tome:8,8,4"))
                .containsExactly("derived", "fast=none;tome:8,8,4");
    }
}
