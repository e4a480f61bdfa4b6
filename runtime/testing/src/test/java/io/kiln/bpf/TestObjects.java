package io.kiln.bpf;

import io.kiln.lab.Command;
import io.kiln.testing.KernelRequirements;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The BPF C programs of src/test/resources/bpf, compiled by clang once per test JVM. */
final class TestObjects {
    private static final Map<String, byte[]> COMPILED = new ConcurrentHashMap<>();

    private TestObjects() {
    }

    /** The object of {@code bpf/<name>.c}, e.g. {@code bytes("kt_gate")}. */
    static byte[] bytes(String name) {
        KernelRequirements.assumeTools("clang");
        return COMPILED.computeIfAbsent(name, TestObjects::compile);
    }

    /** The compiled object file of {@code bpf/<name>.c}. */
    static Path file(String name) {
        bytes(name);
        return outputDir().resolve(name + ".o");
    }

    private static byte[] compile(String name) {
        Path source = source(name);
        Path out = outputDir().resolve(name + ".o");
        try {
            Files.createDirectories(out.getParent());
            Command.run(List.of("clang", "-target", "bpf", "-O2", "-g", "-I/usr/include/x86_64-linux-gnu",
                    "-c", source.toString(), "-o", out.toString()), Duration.ofSeconds(120)).orThrow();
            return Files.readAllBytes(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path source(String name) {
        URL url = TestObjects.class.getResource("/bpf/" + name + ".c");
        if (url == null) {
            throw new IllegalArgumentException("no test program bpf/" + name + ".c");
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Path outputDir() {
        return source("kt_gate").getParent().getParent().getParent().resolve("bpf-objects");
    }
}
