package org.tocomstream.job.testutils;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.tocomstream.data.Sample;
import org.tocomstream.data.SceneConfig;
import org.tocomstream.data.SceneGenerator;

/** Small image folders ({@code root/<label>/<index>.png}) of generated scenes for the tests. */
public final class SceneFolders {

    private SceneFolders() {}

    /**
     * Writes {@code perClass} PNG scenes of each of the first {@code classes} labels of the TEST
     * split of generator seed 3 (default scene config) under {@code root}.
     */
    public static Path write(Path root, int classes, int perClass) throws IOException {
        SceneGenerator scenes = SceneGenerator.of(SceneConfig.defaults(), 3).split(SceneGenerator.Split.TEST);
        int[] count = new int[classes];
        for (long i = 0; Arrays.stream(count).anyMatch(n -> n < perClass); i++) {
            int c = scenes.classOf(i);
            if (c < classes && count[c] < perClass) {
                Sample s = scenes.sample(i);
                Path dir = Files.createDirectories(root.resolve(s.labelName()));
                Files.write(dir.resolve(i + ".png"), s.png());
                count[c]++;
            }
        }
        return root;
    }
}
