package org.tocomstream.job;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The job module's packages depend one way: {@code cli} &larr; the command families ({@code run},
 * {@code train}, {@code tocom}, {@code bench}, {@code loadtest}, with {@code kafka} and {@code
 * pipeline}) &larr; the root package ({@code Main}, {@code StreamJob}). Checked on the compiled
 * main classes (tests excluded).
 */
class JobLayoutTest {

    private static final String ROOT = "org.tocomstream.job";

    private static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages(ROOT);

    @Test
    void noPackageCycles() {
        slices().matching(ROOT + ".(**)").should().beFreeOfCycles().check(CLASSES);
    }

    @Test
    void noSubpackageUsesTheRootPackage() {
        noClasses()
                .that()
                .resideInAPackage(ROOT + ".*..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage(ROOT)
                .because("commands are reached from Main, never the other way")
                .check(CLASSES);
    }

    @Test
    void cliKnowsNoCommandFamily() {
        noClasses()
                .that()
                .resideInAPackage(ROOT + ".cli..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        ROOT + ".run..",
                        ROOT + ".train..",
                        ROOT + ".tocom..",
                        ROOT + ".diffrate..",
                        ROOT + ".bench..",
                        ROOT + ".loadtest..",
                        ROOT + ".kafka..",
                        ROOT + ".pipeline..")
                .check(CLASSES);
    }

    @Test
    void rootPackageHoldsTheEntryPointsOnly() throws IOException {
        Path root = Path.of("src", "main", "java", "org", "tocomstream", "job");
        List<String> files;
        try (Stream<Path> list = Files.list(root)) {
            files = list.filter(Files::isRegularFile)
                    .map(p -> p.getFileName().toString())
                    .sorted()
                    .collect(Collectors.toList());
        }
        assertThat(files).hasSizeLessThanOrEqualTo(3).contains("Main.java", "StreamJob.java");
    }

    @Test
    void theRulesSeeTheClasses() {
        // Guards the rules above against checking nothing.
        assertThat(CLASSES.contain(ROOT + ".Main")).isTrue();
        assertThat(CLASSES.contain(ROOT + ".cli.OptionParser")).isTrue();
        assertThat(CLASSES.contain(ROOT + ".run.RunCommand")).isTrue();
    }
}
