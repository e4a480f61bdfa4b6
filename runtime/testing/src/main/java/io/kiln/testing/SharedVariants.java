package io.kiln.testing;

import io.kiln.FileTrees;
import io.kiln.build.VariantBuilder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One {@link VariantBuilder} per test JVM, so every variant a test suite asks for is compiled once
 * however many tests load it. Its object store is {@code -Dkiln.test.objectStore=DIR} if set (kept,
 * so later runs start warm), else a temporary folder deleted when the JVM exits. clang is
 * {@code $KILN_CLANG} or the one on PATH.
 */
public final class SharedVariants {
    public static final String STORE_PROPERTY = "kiln.test.objectStore";
    private static volatile VariantBuilder shared;

    private SharedVariants() {
    }

    public static VariantBuilder builder() {
        VariantBuilder b = shared;
        if (b == null) {
            synchronized (SharedVariants.class) {
                b = shared;
                if (b == null) {
                    b = VariantBuilder.defaults(storeDir()).build();
                    shared = b;
                }
            }
        }
        return b;
    }

    private static Path storeDir() {
        String configured = System.getProperty(STORE_PROPERTY);
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        try {
            Path dir = Files.createTempDirectory("kiln-test-objects");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(dir), "kiln-test-objects-cleanup"));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary object store", e);
        }
    }

    private static void deleteTree(Path dir) {
        try {
            FileTrees.delete(dir);
        } catch (IOException e) {
            // a temp folder left behind is harmless; the JVM is exiting
        }
    }
}
