package io.kiln.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/** The checkout the launcher runs from: where the example templates live. */
final class KilnHome {
    private KilnHome() {
    }

    static Path dir() {
        String home = System.getProperty("kiln.home", System.getenv("KILN_HOME"));
        return Path.of(home != null ? home : ".").toAbsolutePath().normalize();
    }

    /** The dataplane's endpoint template in the checkout (bpf-templates). */
    static Path endpointTemplate() {
        Path p = dir().resolve("bpf-templates/src/main/bpf/endpoint");
        if (!Files.isDirectory(p)) {
            throw new io.kiln.KilnException("the endpoint template was not found at " + p
                    + ": run kiln from its checkout (./kiln) or set KILN_HOME to it");
        }
        return p;
    }

    static Path exampleTemplate(String name) {
        Path p = dir().resolve("examples/templates").resolve(name);
        if (!Files.isDirectory(p)) {
            throw new io.kiln.KilnException("example template " + name + " not found at " + p
                    + ": run kiln from its checkout (./kiln) or set KILN_HOME to it");
        }
        return p;
    }
}
