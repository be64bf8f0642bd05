package org.tocomstream;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.library.dependencies.Slice;
import com.tngtech.archunit.library.dependencies.Slices;
import java.nio.file.Paths;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.tocomstream.testutils.cycle.left.Left;
import org.tocomstream.testutils.cycle.right.Right;

/**
 * No package of the library depends on itself through others. Granularity: every package is its
 * own slice ({@code org.tocomstream.(**)}), so {@code model.train} counts apart from {@code model}
 * and a cycle between a package and its sub-package fails as well. Main classes only: tests may
 * reach across (a compress test names a {@code VitConfig} preset for its check values).
 */
class PackagesAreAcyclicTest {

    private static final String EVERY_PACKAGE = "org.tocomstream.(**)";

    /** The compiled main classes, as {@link CoreIsFlinkFreeTest} reads them. */
    private static final JavaClasses LIBRARY = new ClassFileImporter().importPath(Paths.get("target", "classes"));

    @Test
    void noPackageCycles() {
        noCycles(EVERY_PACKAGE).check(LIBRARY);
    }

    @Test
    void everyPackageIsASliceOfItsOwn() {
        // Guards the rule above against slicing coarser than intended or seeing nothing.
        Set<String> names = new TreeSet<>();
        for (Slice slice : Slices.matching(EVERY_PACKAGE).transform(LIBRARY)) {
            names.add(slice.getNamePart(1));
        }
        assertThat(names)
                .containsExactlyInAnyOrder(
                        "compensate", "compress", "control", "data", "model", "model.train", "stream");
    }

    @Test
    void theRuleSeesACycle() {
        JavaClasses cyclic = new ClassFileImporter().importClasses(Left.class, Right.class);
        assertThat(noCycles("org.tocomstream.testutils.cycle.(**)")
                        .evaluate(cyclic)
                        .hasViolation())
                .isTrue();
    }

    private static ArchRule noCycles(String slicePattern) {
        return slices().matching(slicePattern).should().beFreeOfCycles();
    }
}
