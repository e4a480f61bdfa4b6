package io.kiln.it;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The module rules of DESIGN.md, checked on the production classes of every Kiln module (what the
 * jars hold, never tests): a module uses only the modules it is allowed to; nothing imports another
 * module's {@code internal} package; no production code uses a test kit (io.kiln.testing, JUnit);
 * the plugin and the testing API pull no Kubernetes client or command-line parser. A class belongs
 * to the module whose jar or {@code target/classes} it was loaded from, so a class moved to another
 * package cannot slip past a rule written for packages.
 */
class ModuleRulesTest {
    /** Each module and the modules its production code may use (directly or through another). */
    static final Map<String, Set<String>> ALLOWED = new LinkedHashMap<>();

    static {
        allow("kiln-template-engine");
        allow("kiln-bpf", "kiln-template-engine");
        allow("kiln-lab", "kiln-bpf", "kiln-template-engine");
        allow("kiln-runtime", "kiln-bpf", "kiln-template-engine");
        allow("kiln-testing", "kiln-bpf", "kiln-lab", "kiln-template-engine");
        allow("kiln-agent", "kiln-runtime", "kiln-bpf", "kiln-template-engine");
        allow("kiln-cli", "kiln-agent", "kiln-runtime", "kiln-lab", "kiln-bpf", "kiln-template-engine");
        allow("kiln-maven-plugin", "kiln-bpf", "kiln-template-engine");
    }

    /** Folders of the checkout and the artifact each builds. */
    static final Map<String, String> FOLDERS = Map.of(
            "template-engine", "kiln-template-engine",
            "runtime/bpf", "kiln-bpf",
            "runtime/lab", "kiln-lab",
            "runtime/core", "kiln-runtime",
            "runtime/testing", "kiln-testing",
            "runtime/agent", "kiln-agent",
            "runtime/cli", "kiln-cli",
            "maven-plugin", "kiln-maven-plugin");

    static JavaClasses classes;

    private static void allow(String module, String... uses) {
        ALLOWED.put(module, Set.of(uses));
    }

    @BeforeAll
    static void importKiln() {
        classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TEST_FIXTURES)
                .importPackages("io.kiln");
    }

    @Test
    void everyModuleIsOnTheClassPath() {
        Set<String> seen = new TreeSet<>();
        for (JavaClass c : classes) {
            module(c).ifPresent(seen::add);
        }
        assertEquals(new TreeSet<>(ALLOWED.keySet()), seen, "modules whose classes were imported");
    }

    @Test
    void modulesUseOnlyTheModulesTheyMay() {
        List<String> broken = violations((from, to, d) -> !from.equals(to) && !ALLOWED.get(from).contains(to),
                (from, to, d) -> from + " may not use " + to + ": " + d.getDescription());
        assertTrue(broken.isEmpty(), report("module dependency rules broken", broken));
    }

    @Test
    void nothingImportsAnotherModulesInternalPackage() {
        List<String> broken = violations((from, to, d) -> !from.equals(to)
                        && d.getTargetClass().getPackageName().contains(".internal"),
                (from, to, d) -> from + " uses " + to + "'s internal package: " + d.getDescription());
        assertTrue(broken.isEmpty(), report("internal packages used from another module", broken));
    }

    @Test
    void noProductionCodeUsesATestKit() {
        List<String> broken = new ArrayList<>();
        for (JavaClass c : classes) {
            Optional<String> from = module(c);
            if (from.isEmpty() || from.get().equals("kiln-testing")) {
                continue;
            }
            for (Dependency d : c.getDirectDependenciesFromSelf()) {
                String target = d.getTargetClass().getPackageName();
                if (target.startsWith("org.junit") || target.startsWith("org.opentest4j")
                        || target.startsWith("io.kiln.testing")) {
                    broken.add(from.get() + " uses a test kit: " + d.getDescription());
                }
            }
        }
        assertTrue(broken.isEmpty(), report("production code using a test kit", broken));
    }

    @Test
    void thePluginAndTheTestingApiPullNoAgentLibraries() {
        List<String> broken = new ArrayList<>();
        for (JavaClass c : classes) {
            Optional<String> from = module(c);
            if (from.isEmpty() || !(from.get().equals("kiln-maven-plugin") || from.get().equals("kiln-testing"))) {
                continue;
            }
            for (Dependency d : c.getDirectDependenciesFromSelf()) {
                String target = d.getTargetClass().getPackageName();
                if (target.startsWith("io.fabric8") || target.startsWith("picocli")) {
                    broken.add(from.get() + ": " + d.getDescription());
                }
            }
        }
        assertTrue(broken.isEmpty(), report("Kubernetes client or CLI parser used", broken));
    }

    interface DependencyTest {
        boolean test(String from, String to, Dependency d);
    }

    interface Describe {
        String describe(String from, String to, Dependency d);
    }

    private static List<String> violations(DependencyTest broken, Describe describe) {
        Set<String> out = new LinkedHashSet<>();
        for (JavaClass c : classes) {
            Optional<String> from = module(c);
            if (from.isEmpty()) {
                continue;
            }
            for (Dependency d : c.getDirectDependenciesFromSelf()) {
                Optional<String> to = module(d.getTargetClass());
                if (to.isPresent() && broken.test(from.get(), to.get(), d)) {
                    out.add(describe.describe(from.get(), to.get(), d));
                }
            }
        }
        return new ArrayList<>(out);
    }

    /** The Kiln module a class was loaded from; empty for classes of other artifacts (and bpf-templates' bindings). */
    static Optional<String> module(JavaClass c) {
        return c.getSource().map(s -> s.getUri()).flatMap(ModuleRulesTest::moduleOf);
    }

    static Optional<String> moduleOf(URI uri) {
        String text = uri.toString();
        for (String artifact : ALLOWED.keySet()) {
            if (text.contains("/" + artifact + "-0") || text.contains("/" + artifact + "/")) {
                return Optional.of(artifact);
            }
        }
        for (Map.Entry<String, String> e : FOLDERS.entrySet()) {
            if (text.contains("/" + e.getKey() + "/target/classes/")) {
                return Optional.of(e.getValue());
            }
        }
        return Optional.empty();
    }

    private static String report(String title, List<String> broken) {
        int shown = Math.min(broken.size(), 40);
        return title + " (" + broken.size() + "):\n  " + String.join("\n  ", broken.subList(0, shown))
                + (broken.size() > shown ? "\n  ..." : "");
    }
}
