package org.tocomstream;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The core packages never touch Flink: only {@code org.tocomstream.stream} may. Checked on the
 * compiled classes, whose constant pools name every referenced type, so an import, a fully
 * qualified name or a reflective-free use all count.
 */
class CoreIsFlinkFreeTest {

    private static final List<String> CORE = List.of("model", "compress", "compensate", "control", "data");

    @Test
    void corePackagesDoNotReferenceFlink() throws IOException {
        Path classes = Paths.get("target", "classes", "org", "tocomstream");
        assertThat(classes).isDirectory();
        List<Path> offenders;
        try (Stream<Path> files = Files.walk(classes)) {
            offenders = files.filter(p -> p.toString().endsWith(".class"))
                    .filter(p -> CORE.contains(classes.relativize(p).getName(0).toString()))
                    .filter(CoreIsFlinkFreeTest::mentionsFlinkOrStream)
                    .collect(Collectors.toList());
        }
        assertThat(offenders)
                .as("core classes referencing org.apache.flink or org.tocomstream.stream")
                .isEmpty();
    }

    @Test
    void scanSeesTheCoreClasses() throws IOException {
        // Guards the test above against silently scanning nothing: every core package
        // has compiled classes where the scan looks.
        for (String pkg : List.of("model", "compress", "compensate", "control", "data")) {
            Path dir = Paths.get("target", "classes", "org", "tocomstream", pkg);
            try (Stream<Path> files = Files.list(dir)) {
                assertThat(files.filter(p -> p.toString().endsWith(".class")).count())
                        .as(pkg)
                        .isPositive();
            }
        }
    }

    @Test
    void scanDetectsFlinkWhereItIsUsed() {
        // The same check flags the stream package, which does use Flink: it can see a reference.
        Path operator = Paths.get("target", "classes", "org", "tocomstream", "stream", "BatchInferenceOperator.class");
        assertThat(mentionsFlinkOrStream(operator)).isTrue();
    }

    private static boolean mentionsFlinkOrStream(Path classFile) {
        try {
            String bytes = new String(Files.readAllBytes(classFile), StandardCharsets.ISO_8859_1);
            return bytes.contains("org/apache/flink") || bytes.contains("org/tocomstream/stream/");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
